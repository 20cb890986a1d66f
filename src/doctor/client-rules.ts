import type { RequestEventData } from "../events/types.js";
import { requestSummary } from "./findings.js";
import { PollRules } from "./poll-rules.js";
import { existing, noBackoff, noLonger, retryable, secs, type RuleContext } from "./rule-kit.js";
import { compactId } from "./job-track.js";
import { ACCEPTED_MAX, REFUSALS_MAX, REJECTED_MAX, RETRY_WAITS_MAX, type KeyState } from "./state.js";

export type { RuleContext } from "./rule-kit.js";

const DOUBLE_SUBMIT_MS = 60_000;
const REJECTED_REPEATS = 3;
const SUBMITS = new Set(["submitTryon", "submitVision", "submitGenerate"]);
const REJECTED_CODES = new Set(["INVALID_REQUEST", "IMAGE_ERROR", "MISSING_FIELD"]);

/** What "the same request" means after a 429: the same job polled, or the same body submitted. */
const sameOf = (r: RequestEventData, op: string) => (op === "getJob" ? (r.job_id ?? r.path) : (r.body_hash ?? r.path));

/**
 * The rules judged request by request, on wall-clock timing: polls go to
 * PollRules; submits, retries and input errors are judged here. Messages and
 * evidence are built only when a finding is recorded.
 */
export class ClientRules {
  readonly #c: RuleContext;
  readonly #polls: PollRules;
  readonly #hosts = new Map<string, string>();

  constructor(context: RuleContext) {
    this.#c = context;
    this.#polls = new PollRules(context);
  }

  request(ks: KeyState, id: string, r: RequestEventData, op: string): void {
    if (ks.retryWaits !== null) this.#early(ks, id, r, op);
    const repeated = ks.refusals !== null && this.#repeatedRefusal(ks, id, r);
    if (ks.key !== null) {
      if (op === "getJob") this.#polls.poll(ks, id, r);
      else if (SUBMITS.has(op)) this.#submit(ks, id, r);
    }
    if (r.status >= 400) this.#failed(ks, id, r, op, repeated);
  }

  /** One copy of each Host string for every job that names it (bounded: hosts come from clients). */
  #host(host: string | null): string | null {
    if (host === null) return null;
    const known = this.#hosts.get(host);
    if (known !== undefined) return known;
    if (this.#hosts.size < 64) this.#hosts.set(host, host);
    return host;
  }

  #submit(ks: KeyState, id: string, r: RequestEventData): void {
    const hash = r.body_hash;
    if (hash !== null) this.#submitRetry(ks, id, r, hash);
    if (r.status !== 202 || r.job_id === null) return;
    const wall = r.wall_ms;
    const job = this.#c.track(r.job_id, ks, r.model_id, wall);
    job.host = this.#host(r.host);
    job.submitId = compactId(id);
    if (hash === null) return;
    const accepted = (ks.accepted ??= new Map());
    const prev = accepted.get(hash);
    if (prev !== undefined) {
      if (wall - prev.wall <= DOUBLE_SUBMIT_MS && prev.jobId !== r.job_id) this.#doubleSubmit(ks, id, r, prev, hash);
      accepted.delete(hash); // re-inserted: the map stays oldest first, so pruning stops at the first recent one
    }
    for (const [h, a] of accepted) {
      if (wall - a.wall <= DOUBLE_SUBMIT_MS && accepted.size < ACCEPTED_MAX) break;
      accepted.delete(h);
    }
    accepted.set(hash, { id, wall, jobId: r.job_id, path: r.path });
  }

  #doubleSubmit(ks: KeyState, id: string, r: RequestEventData, prev: { id: string | null; wall: number; jobId: string; path: string }, hash: string): void {
    const credits = r.credits_used ?? 0;
    const subject = `body:${hash}`;
    const f = existing(ks, "double-submit", subject) ??
      this.#c.finding(ks, "double-submit", subject, prev.jobId, "error", `The same ${r.path} body was accepted again ${secs(r.wall_ms - prev.wall)} after job ${prev.jobId} (job ${r.job_id}): ${credits} credits spent twice.`, prev.wall);
    if (f === null) return;
    if (f.count === 0) f.cite(prev.id, prev.wall, `POST ${prev.path} → 202 (job ${prev.jobId})`);
    f.hit(r.wall_ms, credits);
    if (f.wantsEvidence) f.cite(id, r.wall_ms, `POST ${r.path} → 202 (job ${r.job_id})`);
  }

  /** Submit retries of one body after errors: are they spaced further apart each time? */
  #submitRetry(ks: KeyState, id: string, r: RequestEventData, hash: string): void {
    const prev = ks.submitRetry;
    const error = retryable(r.status);
    if (prev !== null && prev.bodyHash === hash) {
      if (prev.error) {
        const gap = r.wall_ms - prev.wall;
        if (prev.gap > 0 && noLonger(gap, prev.gap)) noBackoff(this.#c, ks, id, r, gap);
        prev.gap = gap;
      }
      prev.wall = r.wall_ms;
      prev.error = error;
      if (!error) ks.submitRetry = null;
    } else if (error) ks.submitRetry = { bodyHash: hash, wall: r.wall_ms, gap: 0, error: true };
  }

  /** retry-before-retry-after: the same request again while a 429's Retry-After runs. */
  #early(ks: KeyState, id: string, r: RequestEventData, op: string): void {
    const waits = ks.retryWaits!;
    const wall = r.wall_ms;
    const same = sameOf(r, op);
    for (let i = waits.length - 1; i >= 0; i--) {
      const w = waits[i]!;
      if (wall >= w.until) {
        waits.splice(i, 1);
        continue;
      }
      if (w.operation !== op || w.same !== same) continue;
      const jobId = op === "getJob" ? r.job_id : null;
      const f = existing(ks, "retry-before-retry-after", same ?? "") ??
        this.#c.finding(ks, "retry-before-retry-after", same ?? "", jobId, "error", `Sent again ${secs(wall - w.wall)} after a 429 whose Retry-After was ${secs(w.until - w.wall)}.`, w.wall);
      if (f === null) continue;
      if (f.count === 0) f.cite(w.id, w.wall, w.summary);
      f.hit(wall).citeRequest(id, r);
    }
    if (waits.length === 0) ks.retryWaits = null;
  }

  /** retry-non-retryable: the same request, unchanged, after a 400, 401 or 402. */
  #repeatedRefusal(ks: KeyState, id: string, r: RequestEventData): boolean {
    for (const x of ks.refusals!) {
      if (x.method !== r.method || x.path !== r.path || x.query !== r.query || x.bodyHash !== r.body_hash) continue;
      const f = existing(ks, "retry-non-retryable", x.summary) ??
        this.#c.finding(ks, "retry-non-retryable", x.summary, r.job_id, "error", `Sent unchanged again ${secs(r.wall_ms - x.wall)} after a ${x.status}${x.code ? ` ${x.code}` : ""}, which cannot succeed as it is.`, x.wall);
      if (f !== null) {
        if (f.count === 0) f.cite(x.id, x.wall, x.summary);
        f.hit(r.wall_ms).citeRequest(id, r);
      }
      x.wall = r.wall_ms;
      x.id = id;
      return true;
    }
    return false;
  }

  #failed(ks: KeyState, id: string, r: RequestEventData, op: string, repeated: boolean): void {
    const s = r.status;
    if (s === 429 && r.retry_after_s !== null) {
      const waits = (ks.retryWaits ??= []);
      if (waits.length >= RETRY_WAITS_MAX) waits.shift();
      waits.push({ operation: op, same: sameOf(r, op), until: r.wall_ms + r.retry_after_s * 1000, id, wall: r.wall_ms, summary: requestSummary(r) });
    } else if ((s === 400 || s === 401 || s === 402) && !repeated) {
      const refusals = (ks.refusals ??= []);
      if (refusals.length >= REFUSALS_MAX) refusals.shift();
      refusals.push({ method: r.method, path: r.path, query: r.query, bodyHash: r.body_hash, status: s, code: r.error_code, id, wall: r.wall_ms, summary: requestSummary(r) });
    }
    if (r.error_code !== null && REJECTED_CODES.has(r.error_code) && ks.key !== null) this.#rejected(ks, id, r, r.error_code);
  }

  /** rejected-input-repeated: the same input error answered to a key three times or more. */
  #rejected(ks: KeyState, id: string, r: RequestEventData, code: string): void {
    const subject = `${code}: ${r.error_message ?? ""}`;
    const seen = (ks.rejected ??= new Map());
    let entry = seen.get(subject);
    if (entry === undefined) {
      if (seen.size >= REJECTED_MAX) return;
      seen.set(subject, (entry = { n: 0, first: [] }));
    }
    entry.n++;
    if (entry.n < REJECTED_REPEATS) {
      entry.first.push({ id, wall: r.wall_ms, request: requestSummary(r) });
      return;
    }
    const f = existing(ks, "rejected-input-repeated", subject) ??
      this.#c.finding(ks, "rejected-input-repeated", subject, null, "warn", `${code} was answered {peak} times (${r.error_message ?? "no message"}): the client resends instead of handling it.`, entry.first[0]?.wall ?? r.wall_ms);
    if (f === null) return;
    if (f.count === 0) for (const e of entry.first) f.hit(e.wall).cite(e.id, e.wall, e.request);
    entry.first = [];
    f.hit(r.wall_ms).citeRequest(id, r);
    f.peak = f.count;
  }
}
