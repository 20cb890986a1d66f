/**
 * The transport faults: failures the network causes rather than the API.
 * With the scenarios they make the one registry (registry.ts). A fault is
 * named by the X-Mock-Fault header (`<name>[; key=value…]`), by a magic image
 * host `<name>.fault.test` on a submit, by arming, or by seeded chaos.
 */
import { ApiError } from "./errors.js";
import { normaliseScenarioName, type Phase } from "./scenarios.js";

export interface FaultParam {
  /** null: no default (the fault behaves differently without it). */
  readonly default: number | null;
  readonly min: number;
  readonly max: number;
  readonly help: string;
}

export interface FaultSpec {
  readonly outcome: string;
  /** The phases it can hit; the first is the default phase of an arming. */
  readonly phases: readonly Phase[];
  readonly params: Readonly<Record<string, FaultParam>>;
  /** Beyond what the docs describe (the live API is not known to do it). */
  readonly beyondDocs?: true;
}

const TRANSPORT: readonly Phase[] = ["submit", "poll", "result"];
const MAX_MS = 600_000;
const ms = (def: number | null, help: string): FaultParam => ({ default: def, min: 0, max: MAX_MS, help });

export const FAULTS = {
  reset: {
    outcome: "The connection is reset (TCP RST) before any response byte; the request is not processed.",
    phases: TRANSPORT, params: {},
  },
  empty_reply: {
    outcome: "The socket is closed cleanly (FIN) with no bytes; the request is not processed.",
    phases: TRANSPORT, params: {},
  },
  malformed_json: {
    outcome: "The request is processed, then answered 200 with its body cut to `bytes` (default: half); Content-Length matches what is sent.",
    phases: TRANSPORT, params: { bytes: { default: null, min: 0, max: 1e9, help: "bytes of the body sent" } },
  },
  slow_body: {
    outcome: "Headers at once, then the body dribbled in `chunks` (default 20) pieces over `ms` (default 10000).",
    phases: TRANSPORT,
    params: { ms: ms(10_000, "duration of the dribble"), chunks: { default: 20, min: 1, max: 10_000, help: "pieces the body is sent in" } },
  },
  latency: {
    outcome: "A delay before the headers: fixed `ms`, or lognormal with `median_ms` (default 1000) and `sigma` (default 0.75).",
    phases: TRANSPORT,
    params: { ms: ms(null, "fixed delay"), median_ms: ms(1000, "median of the lognormal delay"), sigma: { default: 0.75, min: 0, max: 5, help: "spread of the lognormal delay" } },
  },
  lost_response: {
    outcome: "Processed in full (a submit's job created and charged), journaled with `response_lost`, then the connection is reset before any response byte.",
    phases: TRANSPORT, params: {},
  },
  poll_not_found: {
    outcome: "On a submit: the job's first `polls` (default 2) polls answer 404 `NOT_FOUND`, as under eventual consistency. On a poll: that poll answers 404.",
    phases: ["submit", "poll"], params: { polls: { default: 2, min: 1, max: 1000, help: "polls answered 404" } }, beyondDocs: true,
  },
  webhook_delay: {
    outcome: "The webhook is sent `ms` (default 30000) of virtual time late.",
    phases: ["webhook"], params: { ms: ms(30_000, "virtual delay") },
  },
  webhook_timeout: {
    outcome: "Never reaches the receiver; the delivery is recorded as `timeout` after --webhook-timeout (or `ms`).",
    phases: ["webhook"], params: { ms: ms(null, "wait before it is recorded") },
  },
  webhook_duplicate: {
    outcome: "The same event (same body and signature) is delivered twice, the second once the first has settled.",
    phases: ["webhook"], params: {}, beyondDocs: true,
  },
} as const satisfies Record<string, FaultSpec>;

export type FaultName = keyof typeof FAULTS;
export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];
export type FaultParams = Readonly<Record<string, number>>;

export const FAULT_HEADER = "x-mock-fault";
/** Faults that answer nothing at all: decided before the request is processed. */
export const CUT_FAULTS: ReadonlySet<string> = new Set<FaultName>(["reset", "empty_reply"]);
/** Faults that change a job's webhook: named on a submit, they wait for its delivery. */
export const WEBHOOK_FAULTS: ReadonlySet<string> = new Set<FaultName>(["webhook_delay", "webhook_timeout", "webhook_duplicate"]);

export function isFaultName(name: string): name is FaultName {
  return Object.hasOwn(FAULTS, name);
}

export function parseFaultName(raw: string, source: string): FaultName {
  const name = normaliseScenarioName(raw);
  if (!isFaultName(name)) throw new ApiError("INVALID_REQUEST", `Unknown fault "${raw}" in ${source}. Known: ${FAULT_NAMES.join(", ")}.`);
  return name;
}

/**
 * A fault's parameters with defaults filled in, every value checked against
 * its range. Unknown parameters are refused, so a typo never passes silently.
 */
export function faultParams(name: FaultName, given: Readonly<Record<string, string | number>> | null, source: string): FaultParams {
  const spec: FaultSpec = FAULTS[name];
  const out: Record<string, number> = {};
  for (const [p, d] of Object.entries(spec.params)) if (d.default !== null) out[p] = d.default;
  for (const [p, raw] of Object.entries(given ?? {})) {
    const d = Object.hasOwn(spec.params, p) ? spec.params[p] : undefined;
    const known = Object.keys(spec.params);
    if (!d) throw new ApiError("INVALID_REQUEST", `Unknown parameter "${p}" for fault ${name} in ${source}. Known: ${known.length ? known.join(", ") : "none"}.`);
    const n = typeof raw === "number" ? raw : raw.trim() === "" ? NaN : Number(raw);
    if (!Number.isFinite(n) || n < d.min || n > d.max) throw new ApiError("INVALID_REQUEST", `Invalid ${p}=${String(raw)} for fault ${name} in ${source}: must be a number from ${d.min} to ${d.max}.`);
    out[p] = n;
  }
  return out;
}

/** `latency; ms=300` → name and raw parameters; throws INVALID_REQUEST naming what is wrong. */
export function parseFaultHeader(raw: string): { name: FaultName; params: Record<string, string> } {
  const [head = "", ...rest] = raw.split(";");
  const name = parseFaultName(head, "X-Mock-Fault");
  const params: Record<string, string> = {};
  for (const part of rest) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    if (eq < 1) throw new ApiError("INVALID_REQUEST", `Malformed X-Mock-Fault parameter "${part.trim()}": use key=value, e.g. "latency; ms=500".`);
    params[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  return { name, params };
}

/** The header value that tells the client what was injected: `latency; ms=1234`. */
export function faultHeaderValue(name: string, params: FaultParams | null, delayMs: number): string {
  if (name === "latency") return `latency; ms=${Math.round(delayMs)}`;
  if (!params) return name;
  const parts = Object.entries(params).map(([k, v]) => `${k}=${v}`);
  return parts.length ? `${name}; ${parts.join("; ")}` : name;
}

/**
 * The delay of a latency fault: `ms` when given, else lognormal around
 * `median_ms`. `u1`, `u2` are uniform draws in [0, 1) (seeded by the caller).
 */
export function latencyMs(params: FaultParams, u1: number, u2: number): number {
  if (params.ms !== undefined) return params.ms;
  const median = params.median_ms ?? 1000;
  const sigma = params.sigma ?? 0.75;
  // Box–Muller: one standard normal from two uniforms; 1 - u1 keeps log() finite.
  const z = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  return Math.min(MAX_MS, Math.round(median * Math.exp(sigma * z)));
}
