import { RATE_LIMITS } from "../domain/rate-limits.js";
import type { RequestEventData } from "../events/types.js";
import { compactId, idText, small, type JobTrack } from "./job-track.js";
import { existing, noBackoff, noLonger, retryable, secs, type RuleContext } from "./rule-kit.js";
import { PollWindow, type KeyState } from "./state.js";

const POLL_MIN_GAP_MS = 2_000;
const POLL_BUDGET = RATE_LIMITS.poll;
const PACE_SAMPLES_MIN = 3;
const JOBS_PATH = "/api/v1/jobs/";

/** The job a poll asked for, from its path when validation stopped it before the handler read it. */
function jobIdOf(path: string): string {
  try {
    return decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
  } catch {
    return "";
  }
}

/**
 * The polling rules (poll-too-fast, poll-budget, own-poll-url,
 * polls-after-terminal, no-jitter on polls), judged on wall-clock timing. A
 * good poll does a few comparisons and number updates and allocates nothing.
 */
export class PollRules {
  readonly #c: RuleContext;

  constructor(context: RuleContext) {
    this.#c = context;
  }

  poll(ks: KeyState, id: string, r: RequestEventData): void {
    const wall = r.wall_ms;
    ks.polls++;
    const inWindow = (ks.window ??= new PollWindow()).add(wall);
    if (inWindow > POLL_BUDGET) {
      const f = (ks.overBudget ??= existing(ks, "poll-budget", "minute") ??
        this.#c.finding(ks, "poll-budget", "minute", null, "error", `{peak} polls within one minute: the budget is ${POLL_BUDGET} per key, and the live API answers 429 past it.`, wall));
      if (f !== null) {
        f.hit(wall).citeRequest(id, r);
        if (inWindow > f.peak) f.peak = inWindow;
      }
    }
    const job = this.#jobOf(ks, r);
    if (job === undefined) return;
    if (!this.#followsPollUrl(job, r)) this.#ownPollUrl(ks, id, r, job);
    if (job.seenTerminal >= 0) {
      const f = (ks.hotAfterTerminal ??= existing(ks, "polls-after-terminal", job.id) ??
        this.#c.finding(ks, "polls-after-terminal", job.id, job.id, "warn", `Polled {peak} more time(s) after the client had seen it ${job.completed ? "completed" : "failed"}.`, wall));
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

  /** The key's own job this poll asked for; the job it polled last is checked before the map. */
  #jobOf(ks: KeyState, r: RequestEventData): JobTrack | undefined {
    const id = r.job_id;
    const hot = ks.hotJob;
    if (hot !== null && id !== null && id === hot.id) return hot;
    const job = this.#c.job(id ?? jobIdOf(r.path));
    if (job === undefined || job.ks.key !== ks.key) return undefined;
    ks.hotJob = job;
    ks.hotTooFast = null;
    ks.hotAfterTerminal = null;
    return job;
  }

  #gap(ks: KeyState, id: string, r: RequestEventData, job: JobTrack, gap: number): void {
    // Right after a 429, an early poll is retry-before-retry-after's business.
    if (gap < POLL_MIN_GAP_MS && !job.lastPollRateLimited) {
      const f = (ks.hotTooFast ??= existing(ks, "poll-too-fast", job.id) ??
        this.#c.finding(ks, "poll-too-fast", job.id, job.id, "warn", `Polled ${secs(gap)} after the previous poll of the same job (the docs say every 2–5 s).`, job.lastPoll));
      if (f !== null) {
        if (f.count === 0) f.cite(idText(job.lastPollId), job.lastPoll, `GET ${JOBS_PATH}${job.id} (the previous poll of this job)`);
        f.hit(r.wall_ms).citeRequest(id, r);
      }
    }
    if (job.lastPollError) {
      const before = job.retryGap > 0 ? job.retryGap : job.cadence;
      if (before > 0 && noLonger(gap, before)) noBackoff(this.#c, ks, id, r, gap);
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
    const f = existing(ks, "poll-budget", "pace") ?? this.#c.finding(ks, "poll-budget", "pace", null, "warn", "", r.wall_ms);
    if (f === null) return;
    f.hit(r.wall_ms).citeRequest(id, r);
    if (projected > f.peak) {
      f.peak = projected;
      const allows = Math.floor(POLL_BUDGET / perJob);
      f.message = `Each job is polled about every ${secs(ks.pace)}; with ${ks.inFlight} jobs in flight that makes about ${projected} polls a minute, past the ${POLL_BUDGET} per key. At this pace the budget allows ${allows} concurrent job${allows === 1 ? "" : "s"}.`;
    }
  }

  #followsPollUrl(job: JobTrack, r: RequestEventData): boolean {
    const path = r.path;
    // Job ids are UUIDs, which the poll_url carries unencoded.
    if (path.length !== JOBS_PATH.length + job.id.length || !path.startsWith(JOBS_PATH) || !path.endsWith(job.id)) return false;
    if (r.query !== job.pollQuery) return false;
    return job.host === null || r.host === job.host || (this.#c.publicHost !== null && r.host === this.#c.publicHost);
  }

  #ownPollUrl(ks: KeyState, id: string, r: RequestEventData, job: JobTrack): void {
    let f = existing(ks, "own-poll-url", job.id);
    if (f === undefined) {
      const expected = job.pollQuery;
      const diffs: string[] = [];
      if (job.host !== null && r.host !== job.host && r.host !== this.#c.publicHost) diffs.push(`host ${r.host ?? "(none)"} instead of ${job.host}`);
      if (r.path !== JOBS_PATH + job.id) diffs.push(`path ${r.path} instead of ${JOBS_PATH}${job.id}`);
      if (r.query !== expected) diffs.push(r.query === "" ? `no query instead of ${expected}` : `query ${r.query} instead of ${expected}`);
      f = this.#c.finding(ks, "own-poll-url", job.id, job.id, "warn", `Polled a URL of its own, not the poll_url the submit returned: ${diffs.join("; ")}.`, r.wall_ms) ?? undefined;
    }
    f?.hit(r.wall_ms).citeRequest(id, r);
  }
}
