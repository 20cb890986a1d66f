import { LONG_FORM_PREFIX } from "../../src/domain/catalog.js";

const RANK: Record<string, number> = { queued: 0, processing: 1, completed: 2, failed: 2 };
const seen = new Map<string, { status: string; queuePosition: number | null }>();
const short = (id: string) => (id.startsWith(LONG_FORM_PREFIX) ? id.slice(LONG_FORM_PREFIX.length) : id);

/**
 * Checks every 200 poll the suite makes, wherever it happens, not only inside
 * pollToTerminal: the answer is about the job that was asked for, states only
 * move forward, a terminal state never changes, and queue_position never rises.
 * Returns the violations as sentences.
 */
export function checkPoll(apiPath: string, query: URLSearchParams, body: any): string[] {
  const bad: string[] = [];
  const jobId = decodeURIComponent(apiPath.split("/")[2] ?? "");
  if (body?.job_id !== jobId) bad.push(`a poll of job ${jobId} answered for job ${JSON.stringify(body?.job_id)}`);
  const asked = query.get("model_id");
  if (asked && typeof body?.model_id === "string" && short(body.model_id) !== short(asked)) bad.push(`a poll with model_id ${asked} answered for model ${body.model_id}`);
  const status = String(body?.status);
  const qp = typeof body?.queue_position === "number" ? body.queue_position : null;
  const prev = seen.get(jobId);
  if (prev) {
    if ((RANK[status] ?? -1) < (RANK[prev.status] ?? -1)) bad.push(`job ${jobId} went backwards: ${prev.status} → ${status}`);
    if (RANK[prev.status] === 2 && status !== prev.status) bad.push(`job ${jobId} changed its terminal state: ${prev.status} → ${status}`);
    if (prev.status === "queued" && status === "queued" && prev.queuePosition !== null && qp !== null && qp > prev.queuePosition) {
      bad.push(`job ${jobId}'s queue_position rose from ${prev.queuePosition} to ${qp}`);
    }
  }
  seen.set(jobId, { status, queuePosition: qp });
  return bad;
}
