import type { Job } from "../domain/jobs.js";

export interface ScheduledEvent {
  at: string;
  at_ms: number;
  type: "processing" | "terminal" | "webhook" | "expire";
  job_id: string;
  key: string;
}

/**
 * What will happen next on the virtual clock, derived from the jobs'
 * timelines (nothing is stored for it): each job's start of processing, its
 * end, its webhook and its expiry, soonest first; and the webhooks a
 * webhook_delay fault holds back, at the moment they go.
 */
export function scheduleOf(jobs: Iterable<Job>, now: number, limit: number, delayed: Iterable<{ at: number; job: Job }> = []): ScheduledEvent[] {
  const out: ScheduledEvent[] = [];
  const add = (at: number, type: ScheduledEvent["type"], j: Job) => {
    if (at > now) out.push({ at: new Date(at).toISOString(), at_ms: at, type, job_id: j.id, key: j.key });
  };
  for (const j of jobs) {
    add(j.processingAt, "processing", j);
    add(j.finishedAt, "terminal", j);
    if (j.webhook) add(j.finishedAt, "webhook", j);
    add(j.expiresAt, "expire", j);
  }
  for (const d of delayed) add(d.at, "webhook", d.job);
  out.sort((a, b) => a.at_ms - b.at_ms || a.job_id.localeCompare(b.job_id));
  return out.slice(0, limit);
}
