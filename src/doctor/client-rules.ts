import { RATE_LIMITS } from "../domain/rate-limits.js";
import type { RequestEventData } from "../events/types.js";
import { requestSummary, type Finding } from "./findings.js";
import { RULE_INDEX, type RuleId, type Severity } from "./rules.js";
import { ACCEPTED_MAX, compactId, idText, PollWindow, small, REFUSALS_MAX, REJECTED_MAX, RETRY_WAITS_MAX, type JobTrack, type KeyState } from "./state.js";

/** What the request rules need from the doctor: its jobs and its findings. */
export interface RuleContext {
  job(id: string): JobTrack | undefined;
  track(id: string, ks: KeyState, modelId: string | null, wall: number): JobTrack;
  finding(ks: KeyState, rule: RuleId, subject: string, jobId: string | null, severity: Severity, message: string, wall: number): Finding | null;
  publicHost: string | null;
}

const POLL_MIN_GAP_MS = 2_000;
const POLL_BUDGET = RATE_LIMITS.poll;
const DOUBLE_SUBMIT_MS = 60_000;
const REJECTED_REPEATS = 3;
/** Two gaps this close count as the same; a retry no later than the gap before it (+5 %) is no backoff. */
const TOLERANCE_MS = 50;
const LOCKSTEP_REPEATS = 3;
const PACE_SAMPLES_MIN = 3;
const JOBS_PATH = "/api/v1/jobs/";
const SUBMITS = new Set(["submitTryon", "submitVision", "submitGenerate"]);
const REJECTED_CODES = new Set(["INVALID_REQUEST", "IMAGE_ERROR", "MISSING_FIELD"]);

const secs = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const retryable = (status: number) => status === 429 || status >= 500;
const noLonger = (gap: number, before: number) => gap <= before * 1.05 + TOLERANCE_MS;

/** The job a poll asked for, from its path when validation stopped it before the handler read it. */
function jobIdOf(path: string): string {
  try {
    return decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
  } catch {
    return "";
  }
}

/** What "the same request" means after a 429: the same job polled, or the same body submitted. */
const sameOf = (r: RequestEventData, op: string) => (op === "getJob" ? (r.job_id ?? r.path) : (r.body_hash ?? r.path));

/**
 * The rules judged request by request, on wall-clock timing. The common path
 * (a good poll) does a few comparisons and number updates and allocates
 * nothing; messages and evidence are built only when a finding is recorded.
 */
export class ClientRules {
  readonly #c: RuleContext;
  readonly #pollQueries = new Map<string, string>();
  readonly #hosts = new Map<string, string>();

  constructor(context: RuleContext) {
    this.#c = context;
  }

  request(ks: KeyState, id: string, r: RequestEventData, op: string): void {
    if (ks.retryWaits !== null) this.#early(ks, id, r, op);
    const repeated = ks.refusals !== null && this.#repeatedRefusal(ks, id, r);
    if (ks.key !== null) {
      if (op === "getJob") this.#poll(ks, id, r);
      else if (SUBMITS.has(op)) this.#submit(ks, id, r);
    }
    if (r.status >= 400) this.#failed(ks, id, r, op, repeated);
  }

  /** The stored finding, or a new one with `message` (only built on that path by the callers). */
  #existing(ks: KeyState, rule: RuleId, subject: string): Finding | undefined {
    return ks.findingsOf(RULE_INDEX[rule]).get(subject);
  }

  #poll(ks: KeyState, id: string, r: RequestEventData): void {
    const wall = r.wall_ms;
    ks.polls++;
    const inWindow = (ks.window ??= new PollWindow()).add(wall);
    if (inWindow > POLL_BUDGET) {
      const f = this.#existing(ks, "poll-budget", "minute") ??
        this.#c.finding(ks, "poll-budget", "minute", null, "error", `{peak} polls within one minute: the budget is ${POLL_BUDGET} per key, and the live API answers 429 past it.`, wall);
      if (f !== null) {
        f.hit(wall).citeRequest(id, r);
        if (inWindow > f.peak) f.peak = inWindow;
      }
    }
    const job = this.#c.job(r.job_id ?? jobIdOf(r.path));
    if (job === undefined || job.ks.key !== ks.key) return;
    if (!this.#followsPollUrl(job, r)) this.#ownPollUrl(ks, id, r, job);
    if (job.seenTerminal >= 0) {
      const f = this.#existing(ks, "polls-after-terminal", job.id) ??
        this.#c.finding(ks, "polls-after-terminal", job.id, job.id, "warn", `Polled {peak} more time(s) after the client had seen it ${job.completed ? "completed" : "failed"}.`, wall);
      if (f !== null) f.peak = f.hit(wall).citeRequest(id, r).count;
    }
    if (job.lastPoll >= 0) this.#gap(ks, id, r, job, wall - job.lastPoll);
    job.lastPoll = wall;
    job.lastPollId = compactId(id);
    job.lastPollRateLimited = r.status === 429;
    job.lastPollError = retryable(r.status);
    if (job.deliveryFailed >= 0 && wall >= job.deliveryFailed) job.reconciled = true;
    if (job.seenTerminal >= 0) return;
    if (r.status === 200 && (r.job_status === "completed" || r.job_status === "failed")) {
      job.seenTerminal = wall;
      job.terminalPollId = job.lastPollId;
      if (job.inFlight) {
        job.inFlight = false;
        ks.inFlight--;
      }
      return;
    }
    if (!job.inFlight) {
      job.inFlight = true;
      ks.inFlight++;
    }
    this.#projection(ks, id, r);
  }

  #gap(ks: KeyState, id: string, r: RequestEventData, job: JobTrack, gap: number): void {
    // Right after a 429, an early poll is retry-before-retry-after's business.
    if (gap < POLL_MIN_GAP_MS && !job.lastPollRateLimited) {
      const f = this.#existing(ks, "poll-too-fast", job.id) ??
        this.#c.finding(ks, "poll-too-fast", job.id, job.id, "warn", `Polled ${secs(gap)} after the previous poll of the same job (the docs say every 2–5 s).`, job.lastPoll);
      if (f !== null) {
        if (f.count === 0) f.cite(idText(job.lastPollId), job.lastPoll, `GET ${JOBS_PATH}${job.id} (the previous poll of this job)`);
        f.hit(r.wall_ms).citeRequest(id, r);
      }
    }
    if (job.lastPollError) {
      const before = job.retryGap > 0 ? job.retryGap : job.cadence;
      if (before > 0 && noLonger(gap, before)) this.#noBackoff(ks, id, r, gap);
      job.retryGap = small(gap);
    } else if (job.seenTerminal < 0) {
      job.cadence = small(gap);
      job.retryGap = 0;
      ks.pace = ks.paceSamples === 0 ? gap : ks.pace * 0.8 + gap * 0.2;
      ks.paceSamples++;
    }
  }

  /** The key's pace spread over its jobs in flight: will it outgrow 120 polls a minute? */
  #projection(ks: KeyState, id: string, r: RequestEventData): void {
    if (ks.paceSamples < PACE_SAMPLES_MIN || ks.pace <= 0) return;
    const perJob = 60_000 / ks.pace;
    const projected = Math.round(perJob * ks.inFlight);
    if (projected <= POLL_BUDGET) return;
    const f = this.#existing(ks, "poll-budget", "pace") ?? this.#c.finding(ks, "poll-budget", "pace", null, "warn", "", r.wall_ms);
    if (f === null) return;
    f.hit(r.wall_ms).citeRequest(id, r);
    if (projected > f.peak) {
      f.peak = projected;
      const allows = Math.floor(POLL_BUDGET / perJob);
      f.message = `Each job is polled about every ${secs(ks.pace)}; with ${ks.inFlight} jobs in flight that makes about ${projected} polls a minute, past the ${POLL_BUDGET} per key. At this pace the budget allows ${allows} concurrent job${allows === 1 ? "" : "s"}.`;
    }
  }

  /** A retry after an error that came no later than the gap before it. Three at the same gap are lock-step. */
  #noBackoff(ks: KeyState, id: string, r: RequestEventData, gap: number): void {
    if (ks.lockstepGap >= 0 && Math.abs(gap - ks.lockstepGap) <= TOLERANCE_MS) ks.lockstepCount++;
    else {
      ks.lockstepGap = gap;
      ks.lockstepCount = 1;
      ks.lockstepEvidence = [];
    }
    if (ks.lockstepCount < LOCKSTEP_REPEATS) {
      ks.lockstepEvidence?.push({ id, wall: r.wall_ms, request: requestSummary(r) });
      return;
    }
    const f = this.#existing(ks, "no-jitter", "") ??
      this.#c.finding(ks, "no-jitter", "", null, "warn", `{peak} retries after errors came every ${secs(ks.lockstepGap)}, no later than before the error: no backoff, no jitter, so clients retry in lock-step.`, r.wall_ms);
    if (f === null) return;
    if (f.count === 0) for (const e of ks.lockstepEvidence ?? []) f.hit(e.wall).cite(e.id, e.wall, e.request);
    ks.lockstepEvidence = null;
    f.hit(r.wall_ms).citeRequest(id, r);
    f.peak = Math.max(f.peak, ks.lockstepCount);
  }

  /** One copy of each Host string for every job that names it (bounded: hosts come from clients). */
  #host(host: string | null): string | null {
    if (host === null) return null;
    const known = this.#hosts.get(host);
    if (known !== undefined) return known;
    if (this.#hosts.size < 64) this.#hosts.set(host, host);
    return host;
  }

  #pollQuery(modelId: string): string {
    let q = this.#pollQueries.get(modelId);
    if (q === undefined) this.#pollQueries.set(modelId, (q = `model_id=${encodeURIComponent(modelId)}`));
    return q;
  }

  #followsPollUrl(job: JobTrack, r: RequestEventData): boolean {
    const path = r.path;
    // Job ids are UUIDs, which the poll_url carries unencoded.
    if (path.length !== JOBS_PATH.length + job.id.length || !path.startsWith(JOBS_PATH) || !path.endsWith(job.id)) return false;
    if (r.query !== this.#pollQuery(job.modelId)) return false;
    return job.host === null || r.host === job.host || (this.#c.publicHost !== null && r.host === this.#c.publicHost);
  }

  #ownPollUrl(ks: KeyState, id: string, r: RequestEventData, job: JobTrack): void {
    let f = this.#existing(ks, "own-poll-url", job.id);
    if (f === undefined) {
      const expected = this.#pollQuery(job.modelId);
      const diffs: string[] = [];
      if (job.host !== null && r.host !== job.host && r.host !== this.#c.publicHost) diffs.push(`host ${r.host ?? "(none)"} instead of ${job.host}`);
      if (r.path !== JOBS_PATH + job.id) diffs.push(`path ${r.path} instead of ${JOBS_PATH}${job.id}`);
      if (r.query !== expected) diffs.push(r.query === "" ? `no query instead of ${expected}` : `query ${r.query} instead of ${expected}`);
      f = this.#c.finding(ks, "own-poll-url", job.id, job.id, "warn", `Polled a URL of its own, not the poll_url the submit returned: ${diffs.join("; ")}.`, r.wall_ms) ?? undefined;
    }
    f?.hit(r.wall_ms).citeRequest(id, r);
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
    const f = this.#existing(ks, "double-submit", subject) ??
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
        if (prev.gap > 0 && noLonger(gap, prev.gap)) this.#noBackoff(ks, id, r, gap);
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
      const f = this.#existing(ks, "retry-before-retry-after", same ?? "") ??
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
      const f = this.#existing(ks, "retry-non-retryable", x.summary) ??
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
    const f = this.#existing(ks, "rejected-input-repeated", subject) ??
      this.#c.finding(ks, "rejected-input-repeated", subject, null, "warn", `${code} was answered {peak} times (${r.error_message ?? "no message"}): the client resends instead of handling it.`, entry.first[0]?.wall ?? r.wall_ms);
    if (f === null) return;
    if (f.count === 0) for (const e of entry.first) f.hit(e.wall).cite(e.id, e.wall, e.request);
    entry.first = [];
    f.hit(r.wall_ms).citeRequest(id, r);
    f.peak = f.count;
  }
}
