import { DEFAULT_MODEL, findModel, type JobKind } from "../domain/catalog.js";
import type { Pair } from "./replay.js";
import { classesOf, describeTiming, type Span } from "./timing.js";
import type { NewDifference } from "./types.js";

const RANK: Record<string, number> = { queued: 0, processing: 1, completed: 2, failed: 2 };
const KIND_OF: Record<string, JobKind> = { submitTryon: "tryon", submitVision: "vision", submitGenerate: "generate" };

interface Side {
  seq: string[];
  terminalOffset: number | null;
  elapsed: number | null;
  lastOffset: number | null;
  /** The last poll before the terminal one (or the submit). */
  beforeTerminal: number | null;
}

interface Track {
  test: string;
  model: string;
  kind: JobKind | null;
  submitOffset: number;
  rec: Side;
  rep: Side;
}

const side = (): Side => ({ seq: ["queued"], terminalOffset: null, elapsed: null, lastOffset: null, beforeTerminal: null });
const isTerminal = (s: string) => s === "completed" || s === "failed";

function see(s: Side, body: any, offset: number): void {
  const status = String(body?.status);
  s.seq.push(status);
  if (isTerminal(status) && s.terminalOffset === null) {
    s.beforeTerminal = s.lastOffset;
    s.terminalOffset = offset;
    s.elapsed = typeof body?.elapsed_ms === "number" ? body.elapsed_ms : null;
  }
  s.lastOffset = offset;
}

/** Each recorded job with what both sides said about it, poll by poll. */
function tracks(pairs: Pair[]): Track[] {
  const jobs = new Map<string, Track>();
  for (const { rec, rep, offsetMs } of pairs) {
    if (rec.kind !== "api" || !rep) continue;
    const kind = KIND_OF[rec.operationId ?? ""];
    const body = rec.response.body as any;
    if (kind && rec.response.status === 202 && typeof body?.job_id === "string") {
      const model = body.model_id ?? (rec.request.body as any)?.model_id ?? DEFAULT_MODEL[kind];
      jobs.set(body.job_id, { test: rec.test, model, kind: findModel(model)?.kind ?? null, submitOffset: offsetMs, rec: side(), rep: side() });
      if (rep.status !== 202) jobs.get(body.job_id)!.rep.seq = [];
    }
    if (rec.operationId !== "getJob") continue;
    const t = jobs.get(decodeURIComponent(rec.request.path.split("/").pop() ?? ""));
    if (!t) continue;
    if (rec.response.status === 200) see(t.rec, body, offsetMs);
    if (rep.status === 200) see(t.rep, rep.body, offsetMs);
  }
  return [...jobs.values()];
}

const collapse = (seq: string[]) => seq.filter((s, i) => i === 0 || s !== seq[i - 1]);
const backwards = (seq: string[]) => seq.some((s, i) => i > 0 && (RANK[s] ?? 0) < (RANK[seq[i - 1]!] ?? 0));

/** What one side shows of the time to terminal: elapsed_ms when it reports one, else what the polls bracket. */
function spanOf(t: Track, s: Side): Span | null {
  if (s.elapsed !== null) return { lo: s.elapsed, hi: s.elapsed };
  if (s.terminalOffset !== null) return { lo: (s.beforeTerminal ?? t.submitOffset) - t.submitOffset, hi: s.terminalOffset - t.submitOffset };
  if (s.lastOffset !== null) return { lo: s.lastOffset - t.submitOffset, hi: Infinity };
  return null;
}

/**
 * Per job: the sequence of statuses (a different outcome, or one side going
 * backwards) and the time to the terminal state, judged against the
 * documented range: a difference only when what each side shows of it cannot
 * fall in the same part of that range, since exact durations are random on both.
 */
export function compareJobs(pairs: Pair[]): (NewDifference & { test: string })[] {
  const out: (NewDifference & { test: string })[] = [];
  for (const t of tracks(pairs)) {
    const where = `job ${t.model}`;
    const [a, b] = [collapse(t.rec.seq), collapse(t.rep.seq)];
    const unknown = a.filter((s) => RANK[s] === undefined);
    const [ta, tb] = [a.find(isTerminal), b.find(isTerminal)];
    if (unknown.length) out.push({ test: t.test, where: "getJob 200", grade: "breaking", category: "schema", kind: "enum-unknown", path: "$.status", recorded: unknown, mock: b });
    else if ((ta && tb && ta !== tb) || backwards(a) !== backwards(b)) {
      out.push({ test: t.test, where, grade: "behavioural", category: "behaviour", kind: "sequence", path: "$.status", recorded: a.join(" → "), mock: b.join(" → ") });
    }
    if (!t.kind) continue;
    const [x, y] = [spanOf(t, t.rec), spanOf(t, t.rep)];
    if (!x || !y) continue;
    const [cx, cy] = [classesOf(t.kind, x), classesOf(t.kind, y)];
    if (![...cx].some((c) => cy.has(c))) {
      out.push({ test: t.test, where, grade: "behavioural", category: "behaviour", kind: "timing", path: "time_to_terminal", recorded: describeTiming(t.kind, x), mock: describeTiming(t.kind, y) });
    }
  }
  return out;
}
