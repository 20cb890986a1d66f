import type { Finding } from "./findings.js";
import type { JobTrack } from "./job-track.js";
import { RULE_INDEX, RULES } from "./rules.js";

/**
 * What the doctor remembers per key (per job: job-track.ts). Every structure is bounded:
 * the per-key lists have fixed caps, and the doctor caps how many keys and
 * jobs it tracks (a job's state goes when the job expires).
 */

/** Polls of one key in the last minute of wall time, in 60 one-second buckets (so at most 60 s, never more). */
export class PollWindow {
  // A plain array, not a Uint16Array: a typed array's memory is malloc'd outside the JS heap, and a
  // flood of new keys (one window each, soon dropped) left the process 10–30 MB bigger in RSS.
  #buckets: number[] = new Array<number>(60).fill(0);
  #sec = -1;
  total = 0;

  add(wallMs: number): number {
    const sec = Math.floor(wallMs / 1000);
    if (sec > this.#sec) {
      if (this.#sec < 0 || sec - this.#sec >= 60) {
        this.#buckets.fill(0);
        this.total = 0;
      } else {
        for (let s = this.#sec + 1; s <= sec; s++) {
          const i = s % 60;
          this.total -= this.#buckets[i]!;
          this.#buckets[i] = 0;
        }
      }
      this.#sec = sec;
    }
    const i = this.#sec % 60;
    if (this.#buckets[i]! < 65535) {
      this.#buckets[i]!++;
      this.total++;
    }
    return this.total;
  }
}

/** A 429 that asked the client to wait: the same request before `until` is early. */
export interface RetryWait {
  operation: string | null;
  /** The job polled, or the body submitted: what "the same request" means. */
  same: string | null;
  until: number;
  id: string | null;
  wall: number;
  summary: string;
}

/** A 400, 401 or 402: repeating the same request unchanged cannot succeed. */
export interface Refusal {
  method: string;
  path: string;
  query: string;
  bodyHash: string | null;
  status: number;
  code: string | null;
  id: string | null;
  wall: number;
  summary: string;
}

/** An accepted submit, for double-submit. */
export interface Accepted {
  id: string | null;
  wall: number;
  jobId: string;
  path: string;
}

/** An input error answered to a key, counted; the first answers are kept to cite. */
export interface Rejected {
  n: number;
  first: { id: string | null; wall: number; request: string }[];
}

/** The last submit that got an error, to see how its retries are spaced. */
export interface SubmitRetry {
  bodyHash: string;
  wall: number;
  gap: number;
  error: boolean;
}

export const RETRY_WAITS_MAX = 8;
export const REFUSALS_MAX = 8;
export const ACCEPTED_MAX = 256;
export const REJECTED_MAX = 32;

export class KeyState {
  window: PollWindow | null = null;
  polls = 0;
  /** Jobs the client is polling and has not yet seen finish. */
  inFlight = 0;
  /** Average gap between two polls of one job (ms), over the key's jobs; 0 until measured. */
  pace = 0;
  paceSamples = 0;
  retryWaits: RetryWait[] | null = null;
  refusals: Refusal[] | null = null;
  accepted: Map<string, Accepted> | null = null;
  rejected: Map<string, Rejected> | null = null;
  submitRetry: SubmitRetry | null = null;
  /** Retries after an error with no backoff, at the same gap (±tolerance): lock-step. */
  lockstepGap = -1;
  lockstepCount = 0;
  lockstepJobs = 0;
  /** The retries that make up the current lock-step run (at most three), cited once it is a finding. */
  lockstepEvidence: { id: string | null; wall: number; request: string }[] | null = null;
  /**
   * The job this key polled last, and the findings its polls keep adding to: a
   * client polling one job over and over (a load test) costs no map look-ups.
   */
  hotJob: JobTrack | null = null;
  hotTooFast: Finding | null = null;
  hotAfterTerminal: Finding | null = null;
  overBudget: Finding | null = null;
  /** Findings of this key by rule index, then by job id or subject ("" for the key itself). */
  findings: (Map<string, Finding> | undefined)[] | null = null;
  /** This key's findings the full book did not keep (or displaced), by severity: the CLI fails on them too. */
  droppedErrors = 0;
  droppedWarnings = 0;

  constructor(readonly key: string | null) {}

  /** Credits were set: a 402 (or a deleted key's 401) may now succeed unchanged. */
  forgetRefusals(): void {
    this.refusals = this.refusals?.filter((r) => r.status !== 402 && r.status !== 401) ?? null;
    if (this.refusals?.length === 0) this.refusals = null;
  }

  /** Forgets (and counts as dropped) a warning the book displaced, so its next occurrence is counted too, not added to a finding no report shows. */
  detach(f: Finding): void {
    const byRule = this.findings?.[RULE_INDEX[f.rule]];
    if (byRule !== undefined) for (const [subject, g] of byRule) if (g === f) byRule.delete(subject);
    if (this.hotTooFast === f) this.hotTooFast = null;
    if (this.hotAfterTerminal === f) this.hotAfterTerminal = null;
    if (this.overBudget === f) this.overBudget = null;
    this.droppedWarnings++;
  }

  findingsOf(ruleIndex: number): Map<string, Finding> {
    const byRule = (this.findings ??= new Array(RULES.length));
    return (byRule[ruleIndex] ??= new Map());
  }
}
