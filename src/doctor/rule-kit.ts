import type { RequestEventData } from "../events/types.js";
import { requestSummary, type Finding } from "./findings.js";
import type { JobTrack } from "./job-track.js";
import { RULE_INDEX, type RuleId, type Severity } from "./rules.js";
import type { KeyState } from "./state.js";

/** What the request rules need from the doctor: its jobs and its findings. */
export interface RuleContext {
  job(id: string): JobTrack | undefined;
  track(id: string, ks: KeyState, modelId: string | null, wall: number): JobTrack;
  finding(ks: KeyState, rule: RuleId, subject: string, jobId: string | null, severity: Severity, message: string, wall: number): Finding | null;
  publicHost: string | null;
}

/** Two gaps this close count as the same; a retry no later than the gap before it (+5 %) is no backoff. */
export const TOLERANCE_MS = 50;
const LOCKSTEP_REPEATS = 3;

export const secs = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
export const retryable = (status: number) => status === 429 || status >= 500;
export const noLonger = (gap: number, before: number) => gap <= before * 1.05 + TOLERANCE_MS;

/** The stored finding of a key for (rule, subject); callers build a new one's message only when this finds none. */
export function existing(ks: KeyState, rule: RuleId, subject: string): Finding | undefined {
  return ks.findingsOf(RULE_INDEX[rule]).get(subject);
}

/** A retry after an error that came no later than the gap before it. Three at the same gap are lock-step. */
export function noBackoff(c: RuleContext, ks: KeyState, id: string, r: RequestEventData, gap: number): void {
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
  const f = existing(ks, "no-jitter", "") ??
    c.finding(ks, "no-jitter", "", null, "warn", `{peak} retries after errors came every ${secs(ks.lockstepGap)}, no later than before the error: no backoff, no jitter, so clients retry in lock-step.`, r.wall_ms);
  if (f === null) return;
  if (f.count === 0) for (const e of ks.lockstepEvidence ?? []) f.hit(e.wall).cite(e.id, e.wall, e.request);
  ks.lockstepEvidence = null;
  f.hit(r.wall_ms).citeRequest(id, r);
  f.peak = Math.max(f.peak, ks.lockstepCount);
}
