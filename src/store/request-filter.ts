import type { StreamEvent } from "../events/types.js";
import type { RequestQuery } from "./types.js";

/** The journal's filters, applied where the entries are (every store uses this one). */
export function matchesRequest(e: StreamEvent, q: RequestQuery): boolean {
  if (e.kind !== "request") return false;
  const r = e.data;
  if (q.method !== undefined && r.method !== q.method.toUpperCase()) return false;
  if (q.path !== undefined && !r.path.includes(q.path)) return false;
  if (q.statusClass !== undefined && `${Math.floor(r.status / 100)}xx` !== q.statusClass) return false;
  if (q.key !== undefined && r.key !== q.key) return false;
  if (q.scenario !== undefined && r.scenario !== q.scenario && r.fault !== q.scenario) return false;
  if (q.fault !== undefined && (q.fault === "any" ? r.fault === null : r.fault !== q.fault)) return false;
  return true;
}
