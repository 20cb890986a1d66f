import { findModel } from "../domain/catalog.js";
import { Finding } from "./findings.js";
import { idText, type JobTrack } from "./job-track.js";

/** At query time a job counts as abandoned only once its client has stopped polling it for this long (wall clock). */
export const IDLE_MS = 30_000;

export interface JudgeClock {
  /** Virtual now: job state and expiry. */
  virtualNow: number;
  /** Wall-clock now: the client's timing. */
  wallNow: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * What a job's life says about its client, from the job's own state: whether
 * it was polled to the end, its results downloaded, a missed webhook
 * reconciled. `final` when the job has just expired (nothing can change any
 * more); otherwise the answer for now, with a job still alive judged mildly.
 */
export function judgeJob(job: JobTrack, final: boolean, clock: JudgeClock): Finding[] {
  const out: Finding[] = [];
  const terminal = clock.virtualNow >= job.finishedMs;
  const key = job.ks.key;
  const at = clock.wallNow;
  const outcome = job.completed ? "completed" : "failed";
  if (!job.webhook && terminal && job.seenTerminal < 0 && (final || job.lastPoll < 0 || at - job.lastPoll >= IDLE_MS)) {
    const how = job.lastPoll < 0 ? "was never polled" : `was last polled ${secs(at - job.lastPoll)} ago and never seen finished`;
    const end = final ? "expired" : `is ${outcome} since ${iso(job.finishedMs)} (virtual time)`;
    const f = new Finding("abandoned-job", "warn", key, job.id, null, `The job ${how}; it ${end}. ${job.credits} credits paid for nothing.`, job.createdWall).hit(at, job.credits);
    out.push(f.cite(idText(job.submitId), job.createdWall, `POST /api/v1/${findModel(job.modelId)?.kind ?? "…"} → 202 (job ${job.id})`));
  }
  const known = job.seenTerminal >= 0 || job.delivered;
  if (job.image && job.completed && terminal && known && !job.downloaded) {
    const message = final
      ? "The job completed and expired 24 h later; none of its result URLs was ever downloaded, so the result is lost."
      : `The job completed and none of its result URLs was downloaded yet; they expire at ${iso(job.expiresMs)} (virtual time).`;
    const f = new Finding("result-not-downloaded", final ? "error" : "warn", key, job.id, null, message, job.seenTerminal >= 0 ? job.seenTerminal : at).hit(at, final ? job.credits : 0);
    out.push(job.terminalPollId === null ? f : f.cite(idText(job.terminalPollId), job.seenTerminal, `the poll that saw job ${job.id} completed`));
  }
  if (job.webhook && job.deliveryFailed >= 0 && !job.reconciled) {
    const polls = job.ks.polls === 0 ? "the key never polls" : "the job was never polled after it";
    const f = new Finding("webhook-only", "error", key, job.id, null, `Its webhook delivery ended "${job.deliveryOutcome}" and ${polls}: the result was never reconciled.`, job.deliveryFailed).hit(at);
    out.push(f.cite(job.deliveryId, job.deliveryFailed, `webhook delivery ${job.deliveryId} (GET /__mock/webhooks): ${job.deliveryOutcome}`));
  }
  return out;
}
