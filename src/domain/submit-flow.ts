/**
 * The rules of a submit and a poll that every store applies in the same
 * order: which scenarios answer before any charge, the errors and their
 * messages, and the job a successful submit creates. Stores only decide how
 * state is read and changed (in memory, or in one Redis script).
 */
import type * as api from "../api/index.js";
import type { JobKind, Model } from "./catalog.js";
import { ApiError } from "./errors.js";
import { RESULT_TTL_MS, STATUS_ERROR_POLLS, type Job, type JobWebhookFault } from "./jobs.js";
import { planJob, type Timing } from "./lifecycle.js";
import { rngFrom } from "./random.js";
import { RATE_LIMITS, RATE_WINDOW_MS, rateLimitError, type RateBucket } from "./rate-limits.js";
import { SCENARIO_NAMES, scenarioAppliesTo, type ScenarioName } from "./scenarios.js";
import type { SubmitRequest } from "./submit-rules.js";

/** The submit answer: the spec's shape, with the fields the mock always sends made required. */
export type SubmitResponse = api.SubmitResponse & { model_id: string; credits_left: number };

/** Scenarios that answer a submit before anything is charged or counted. */
const BEFORE_CHARGE: Partial<Record<ScenarioName, (kind: JobKind, cost: number) => ApiError>> = {
  rate_limited: (kind) => rateLimitError(kind, 60),
  insufficient_credits: (_kind, cost) => insufficientCredits(cost, 0),
  image_fetch_403: () => new ApiError("IMAGE_ERROR", "Image error: Failed to fetch image: HTTP 403"),
  image_fetch_404: () => new ApiError("IMAGE_ERROR", "Image error: Failed to fetch image: HTTP 404"),
  image_too_large: () => new ApiError("IMAGE_ERROR", "Image error: Image exceeds 10 MB"),
  private_url: () => new ApiError("IMAGE_ERROR", "Image error: Private URLs not allowed"),
};

export const BEFORE_CHARGE_SCENARIOS = Object.keys(BEFORE_CHARGE) as ScenarioName[];

export function beforeChargeError(scenario: ScenarioName | null, kind: JobKind, cost: number): ApiError | null {
  const make = scenario === null ? undefined : BEFORE_CHARGE[scenario];
  return make ? make(kind, cost) : null;
}

/** Charged, then refunded in the same step: the client sees 502 and its balance is unchanged. */
export const REFUNDED_SCENARIO: ScenarioName = "submission_error";

export function submissionError(): ApiError {
  return new ApiError("SUBMISSION_ERROR", "Failed to submit job: upstream timeout");
}

export function insufficientCredits(cost: number, available: number): ApiError {
  return new ApiError("INSUFFICIENT_CREDITS", `Insufficient credits. Required: ${cost}, available: ${available}.`);
}

export function jobNotFound(jobId: string, modelId: string): ApiError {
  return new ApiError("NOT_FOUND", `Job not found: "${jobId}" (model_id "${modelId}").`);
}

/** The same 404 for a job hidden by fault poll_not_found, marked so the journal and X-Mock-Fault name the fault. */
export function hiddenJob(jobId: string, modelId: string): ApiError {
  const e = jobNotFound(jobId, modelId);
  e.fault = "poll_not_found";
  return e;
}

export function statusError(): ApiError {
  return new ApiError("STATUS_ERROR", "Failed to get job status: upstream unreachable");
}

export function unknownKey(): ApiError {
  return new ApiError("UNAUTHORIZED", "Invalid API key");
}

/** Seconds until the oldest hit in a full window leaves it. */
export function retryAfterSeconds(oldestHit: number, now: number): number {
  return Math.max(1, Math.ceil((oldestHit + RATE_WINDOW_MS - now) / 1000));
}

export function rateLimited(bucket: RateBucket, oldestHit: number, now: number): ApiError {
  return rateLimitError(bucket, retryAfterSeconds(oldestHit, now));
}

export const limitOf = (bucket: RateBucket) => RATE_LIMITS[bucket];

/** The armed scenarios a submit of this model may use up (an armed nsfw waits for a moderation model). */
export function armableFor(model: Model): ScenarioName[] {
  return SCENARIO_NAMES.filter((n) => scenarioAppliesTo(n, model));
}

/** The job a successful submit creates; its whole timeline is planned now, from the seed and the id. */
export function newJob(a: {
  id: string; key: string; request: SubmitRequest; origin: string; scenario: ScenarioName | null;
  now: number; timing: Timing; seed: number | null; webhookFault?: JobWebhookFault | null;
}): Job {
  const seed = `${a.seed ?? "random"}:${a.id}`;
  const plan = planJob(a.request.kind, a.timing, rngFrom(`plan:${seed}`), a.scenario);
  const processingAt = a.now + plan.queueMs;
  const finishedAt = processingAt + plan.processingMs;
  const r = a.request;
  return {
    id: a.id, key: a.key, kind: r.kind, model: r.model, origin: a.origin,
    createdAt: a.now, processingAt, finishedAt, outcome: plan.outcome, queueStart: plan.queueStart,
    garmentType: r.garmentType, vision: r.vision, prompt: r.prompt, webhook: r.webhook,
    scenario: a.scenario, statusErrorsLeft: a.scenario === "status_error" ? STATUS_ERROR_POLLS : 0, notFoundPollsLeft: 0,
    webhookFault: r.webhook ? (a.webhookFault ?? null) : null,
    seed, expiresAt: finishedAt + RESULT_TTL_MS,
  };
}

export function pollUrl(origin: string, jobId: string, modelId: string): string {
  return `${origin}/api/v1/jobs/${encodeURIComponent(jobId)}?model_id=${encodeURIComponent(modelId)}`;
}

export function submitResponse(job: Job, creditsLeft: number, origin: string): SubmitResponse {
  return {
    job_id: job.id,
    model_id: job.model.id,
    status: "queued",
    credits_used: job.model.credits,
    credits_left: creditsLeft,
    poll_url: pollUrl(origin, job.id, job.model.id),
  };
}
