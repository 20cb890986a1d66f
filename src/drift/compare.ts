import type { LoadedExchange } from "./load.js";
import type { Replayed } from "./replay.js";
import { documented, shapeOf, type Shape } from "./shape.js";
import type { NewDifference } from "./types.js";

const media = (h: Record<string, string>) => (h["content-type"] ?? "").split(";")[0]!.trim().toLowerCase() || null;
/** Values compared exactly: what a client pays, and the poll URL it must follow. */
const PRICE_PATHS = new Set(["$.credits_used"]);
const URL_SHAPE_PATHS = new Set(["$.poll_url"]);

/** poll_url with origin, ids and a (redacted) signed query abstracted: `{origin}/api/v1/jobs/{id}?model_id=moondream2`. */
export function urlShape(u: unknown, ids: readonly string[]): string {
  if (typeof u !== "string") return JSON.stringify(u);
  let s = u.replace(/^https?:\/\/[^/]+/, "{origin}").replace("?<redacted:signed-query>", "?{signed-query}");
  for (const id of ids) if (id.length >= 6) s = s.split(id).join("{id}");
  return s;
}

export function whereOf(x: LoadedExchange): string {
  const op = x.operationId ?? (x.kind === "fetch" ? "GET result URL" : `${x.request.method} ${x.request.path}`);
  return `${op} ${x.response.status}`;
}

/**
 * Compares one recorded answer with the replay's answer to the same request:
 * status, content type, Retry-After and Allow, then the body's field set,
 * types, enum values, prices and poll_url shape. A poll whose job was in a
 * different state at that moment is a matter of timing (judged per job in
 * behaviour.ts), so its body is not compared here.
 */
export function compareExchange(rec: LoadedExchange, rep: Replayed): { diffs: NewDifference[]; timingSkipped: boolean } {
  const diffs: NewDifference[] = [];
  const where = whereOf(rec);
  const r = rec.response;
  const d = (x: Omit<NewDifference, "where">) => diffs.push({ where, ...x });
  if (r.status !== rep.status) {
    const code = (b: unknown) => (b as { code?: unknown } | undefined)?.code;
    d({ grade: "breaking", category: "schema", kind: "status", path: "status", recorded: [r.status, code(r.body)].filter(Boolean).join(" "), mock: [rep.status, code(rep.body)].filter(Boolean).join(" ") });
    return { diffs, timingSkipped: false };
  }
  if (media(r.headers) !== media(rep.headers)) d({ grade: "breaking", category: "headers", kind: "content-type", path: "headers.content-type", recorded: media(r.headers), mock: media(rep.headers) });
  for (const name of ["retry-after", "allow"]) {
    const a = r.headers[name];
    const b = rep.headers[name];
    if (a === undefined && b === undefined) continue;
    if (a === undefined) d({ grade: "breaking", category: "headers", kind: "header-missing", path: `headers.${name}`, recorded: null, mock: b });
    else if (b === undefined) d({ grade: "additive", category: "headers", kind: "header-extra", path: `headers.${name}`, recorded: a, mock: null });
    else if (name === "retry-after" ? Math.abs(Number(a) - Number(b)) > 1 || Number.isNaN(Number(a)) : methods(a) !== methods(b)) {
      d({ grade: "behavioural", category: "headers", kind: "header-value", path: `headers.${name}`, recorded: a, mock: b });
    }
  }
  if (rec.kind === "fetch" || r.body === undefined || rep.body === undefined) return { diffs, timingSkipped: false };
  const rs = (r.body as { status?: unknown }).status;
  if (rec.operationId === "getJob" && rs !== (rep.body as { status?: unknown }).status) return { diffs, timingSkipped: true };
  const ids = [(r.body as { job_id?: string }).job_id ?? "", (rep.body as { job_id?: string }).job_id ?? ""];
  for (const x of compareBodies(rec.operationId, r.status, r.body, rep.body, ids)) diffs.push({ where, ...x });
  return { diffs, timingSkipped: false };
}

const methods = (allow: string) => allow.split(",").map((m) => m.trim().toUpperCase()).filter(Boolean).sort().join(", ");

/** Field set, types and values of two JSON bodies of the same operation and status (also used for webhook payloads). */
export function compareBodies(operationId: string | null, status: number, recorded: unknown, mock: unknown, ids: readonly string[] = []): Omit<NewDifference, "where">[] {
  const out: Omit<NewDifference, "where">[] = [];
  const a = shapeOf(recorded);
  const b = shapeOf(mock);
  const spec = documented(operationId, status);
  const unknownBelow = (path: string, s: Shape) => [...s.empty].some((e) => path.startsWith(`${e}[*]`));
  // Shortest first, so a missing object is reported once, not once per field inside it.
  const paths = [...new Set([...a.nodes.keys(), ...b.nodes.keys()])].sort((p, q) => p.length - q.length);
  const reported: string[] = [];
  for (const path of paths) {
    if (unknownBelow(path, a) || unknownBelow(path, b)) continue;
    if (reported.some((r) => path.startsWith(`${r}.`) || path.startsWith(`${r}[*]`))) continue;
    const x = a.nodes.get(path);
    const y = b.nodes.get(path);
    if (!x || !y) reported.push(path);
    if (!x) {
      out.push({ grade: "breaking", category: "schema", kind: "field-missing", path, recorded: null, mock: [...y!.types].join("|") });
      continue;
    }
    if (!y) {
      out.push({ grade: "additive", category: "schema", kind: "field-extra", path, recorded: [...x.types].join("|"), mock: null });
      continue;
    }
    const [tx, ty] = [[...x.types].sort().join("|"), [...y.types].sort().join("|")];
    if (tx !== ty) {
      reported.push(path);
      out.push({ grade: "breaking", category: "schema", kind: "type", path, recorded: tx, mock: ty });
      continue;
    }
    const allowed = spec.get(path)?.enum;
    const unknown = allowed ? [...x.values].filter((v) => !allowed.has(v)) : [];
    if (unknown.length) out.push({ grade: "breaking", category: "schema", kind: "enum-unknown", path, recorded: unknown.map((v) => JSON.parse(v)), mock: [...y.values].map((v) => JSON.parse(v)) });
    // A job's status at one moment is timing; its sequence is judged per job (behaviour.ts).
    else if (allowed && !((operationId === "getJob" || operationId === "webhook") && path === "$.status")) out.push(...enumDiffs(path, x.values, y.values));
    if (PRICE_PATHS.has(path) && [...x.values].join() !== [...y.values].join()) out.push({ grade: "behavioural", category: "schema", kind: "value", path, recorded: JSON.parse([...x.values][0]!), mock: JSON.parse([...y.values][0]!) });
  }
  out.push(...priceList(recorded, mock));
  for (const path of URL_SHAPE_PATHS) {
    const [u, v] = [(recorded as Record<string, unknown>)?.[path.slice(2)], (mock as Record<string, unknown>)?.[path.slice(2)]];
    if (typeof u === "string" && typeof v === "string" && urlShape(u, ids) !== urlShape(v, ids)) out.push({ grade: "breaking", category: "schema", kind: "url-shape", path, recorded: urlShape(u, ids), mock: urlShape(v, ids) });
  }
  return out;
}

function enumDiffs(path: string, x: Set<string>, y: Set<string>): Omit<NewDifference, "where">[] {
  const parse = (s: Set<string>) => [...s].map((v) => JSON.parse(v) as unknown);
  if (!path.includes("[*]")) {
    if ([...x].join() === [...y].join()) return [];
    return [{ grade: "breaking", category: "schema", kind: "enum", path, recorded: parse(x)[0], mock: parse(y)[0] }];
  }
  const extra = [...x].filter((v) => !y.has(v));
  const missing = [...y].filter((v) => !x.has(v));
  const out: Omit<NewDifference, "where">[] = [];
  if (extra.length) out.push({ grade: "additive", category: "schema", kind: "enum-extra", path, recorded: extra.map((v) => JSON.parse(v)), mock: null });
  if (missing.length) out.push({ grade: "breaking", category: "schema", kind: "enum-missing", path, recorded: null, mock: missing.map((v) => JSON.parse(v)) });
  return out;
}

/** Catalog prices, model by model: `$.models[id=moondream2].credits`. */
function priceList(recorded: unknown, mock: unknown): Omit<NewDifference, "where">[] {
  const prices = (b: unknown) => new Map(((b as { models?: unknown })?.models instanceof Array ? (b as { models: { id?: unknown; credits?: unknown }[] }).models : []).map((m) => [String(m?.id), m?.credits]));
  const [a, b] = [prices(recorded), prices(mock)];
  const out: Omit<NewDifference, "where">[] = [];
  for (const [id, credits] of a) {
    const other = b.get(id);
    if (other !== undefined && typeof credits === typeof other && credits !== other) out.push({ grade: "behavioural", category: "schema", kind: "value", path: `$.models[id=${id}].credits`, recorded: credits, mock: other });
  }
  return out;
}
