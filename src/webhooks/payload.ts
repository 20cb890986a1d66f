import type { WebhookEvent } from "../api/index.js";
import { failureOf, cdnImagePath, stateOf, visionResultOf, type Job } from "../domain/jobs.js";

/** The spec's webhook body (generated into src/api), so a delivery cannot drift from it. */
export type WebhookPayload = WebhookEvent;

/** The documented delivery body; it mirrors what polling returns for the job. */
export function webhookPayload(job: Job, at: number): WebhookPayload {
  const status = stateOf(job, at) === "failed" ? "failed" : "completed";
  const base = {
    request_id: job.id,
    model_id: job.model.id,
    kind: job.kind === "vision" ? ("vision" as const) : ("image" as const),
    status,
    timestamp: Math.floor(at / 1000),
  } as const;
  if (status === "failed") return { ...base, result: null, ...failureOf(job) };
  const result = job.kind === "vision" ? visionResultOf(job, job.origin) : { images: [job.origin + cdnImagePath(job)] };
  return { ...base, result };
}
