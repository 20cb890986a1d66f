import type { DeliveryRecord } from "../domain/deliveries.js";
import type { Phase } from "../domain/scenarios.js";
import type { RequestEventData, StreamEvent } from "../events/types.js";

/** One injected fault as the log shows it; keys raw here (the control API masks them). */
export interface FaultLogEntry {
  time: string;
  time_ms: number;
  fault: string;
  phase: Phase | null;
  key: string | null;
  /** A request to the public API or /cdn, or a webhook delivery. */
  source: "request" | "webhook";
  method: string | null;
  path: string | null;
  /** 0 when nothing at all was sent. */
  status: number | null;
  response_lost: boolean;
  job_id: string | null;
  delivery_id: string | null;
}

export interface FaultCount {
  fault: string;
  phase: string;
  key: string | null;
  count: number;
}

export interface FaultReport {
  total: number;
  by_kind: Record<string, number>;
  by_phase: Record<string, number>;
  by_key: { key: string | null; count: number }[];
  counts: FaultCount[];
  /** Oldest first: requests still in the journal that met a fault, and faulted webhook deliveries. */
  log: FaultLogEntry[];
}

const PHASE_OF: Record<string, Phase> = { submitTryon: "submit", submitVision: "submit", submitGenerate: "submit", getJob: "poll", cdn: "result" };
const iso = (ms: number) => new Date(ms).toISOString();
const bump = (m: Record<string, number>, k: string, n: number) => (m[k] = (m[k] ?? 0) + n);

/** Counts (from the shared counter `name|phase|key`) and the log, as GET /__mock/faults answers. */
export function faultReport(counters: Record<string, number>, requests: StreamEvent[], deliveries: DeliveryRecord[]): FaultReport {
  const counts: FaultCount[] = Object.entries(counters).map(([field, count]) => {
    const [fault = "", phase = "", key = "-"] = field.split("|");
    return { fault, phase, key: key === "-" ? null : key, count };
  });
  counts.sort((a, b) => a.fault.localeCompare(b.fault) || a.phase.localeCompare(b.phase) || String(a.key).localeCompare(String(b.key)));
  const by_kind: Record<string, number> = {};
  const by_phase: Record<string, number> = {};
  const byKey = new Map<string | null, number>();
  for (const c of counts) {
    bump(by_kind, c.fault, c.count);
    bump(by_phase, c.phase, c.count);
    byKey.set(c.key, (byKey.get(c.key) ?? 0) + c.count);
  }
  const log: FaultLogEntry[] = [];
  // The journal answers newest first; the log reads oldest first.
  for (const e of [...requests].reverse()) {
    if (e.kind !== "request" || e.data.fault === null) continue;
    const r: RequestEventData = e.data;
    log.push({
      time: iso(r.time_ms), time_ms: r.time_ms, fault: r.fault!, phase: PHASE_OF[r.operation ?? ""] ?? null, key: r.key, source: "request",
      method: r.method, path: r.path, status: r.status, response_lost: r.response_lost, job_id: r.job_id, delivery_id: null,
    });
  }
  for (const d of deliveries) {
    if (!d.fault) continue;
    log.push({
      time: iso(d.startedAt), time_ms: d.startedAt, fault: d.fault, phase: "webhook", key: d.key, source: "webhook",
      method: "POST", path: null, status: d.responseStatus, response_lost: false, job_id: d.jobId, delivery_id: d.id,
    });
  }
  // Stable, so entries of one frozen instant keep their order.
  log.sort((a, b) => a.time_ms - b.time_ms);
  return {
    total: counts.reduce((n, c) => n + c.count, 0), by_kind, by_phase,
    by_key: [...byKey].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count), counts, log,
  };
}
