import type * as api from "../api/index.js";
import { findModel, type GarmentType, type JobKind, type Model } from "./catalog.js";
import type { JobEventData } from "../events/types.js";
import { queuePositionAt, stateAt, type JobState, type Timeline } from "./lifecycle.js";
import { buildVisionResult, detectionBoxes, detectionLabel, type VisionInput, type VisionResult } from "./results.js";
import type { ScenarioName } from "./scenarios.js";

export const RESULT_TTL_MS = 24 * 60 * 60 * 1000;
export const STATUS_ERROR_POLLS = 3;

export interface JobWebhookFault {
  name: string;
  params: Readonly<Record<string, number>>;
}

export interface Job extends Timeline {
  id: string;
  key: string;
  kind: JobKind;
  model: Model;
  /** Origin the client used at submit; result URLs in webhooks use it. */
  origin: string;
  garmentType: GarmentType | null;
  vision: VisionInput | null;
  prompt: string | null;
  webhook: { url: string; secret: string | null } | null;
  scenario: ScenarioName | null;
  /** Polls still to answer 502 STATUS_ERROR (scenario status_error). */
  statusErrorsLeft: number;
  /** Polls still to answer 404 as if the job did not exist yet (fault poll_not_found). */
  notFoundPollsLeft: number;
  /** A webhook fault named at submit (X-Mock-Fault or a magic host), applied to its delivery. */
  webhookFault: JobWebhookFault | null;
  seed: string;
  expiresAt: number;
  result?: VisionResult;
}

/**
 * The poll body: the spec's shapes (generated into src/api), narrowed to what the
 * mock always sends: `model_id` on every poll, a number for `queue_position`, and
 * `error` beside `logs`. Any change to the spec's job shapes breaks this build.
 */
type Sent<T> = T & { model_id: string };
export type JobView =
  | Sent<api.JobQueuedResponse & { queue_position: number }>
  | Sent<api.JobProcessingResponse>
  | Sent<api.ImageJobCompletedResponse>
  | Sent<api.VisionJobCompletedResponse>
  | Sent<api.JobFailedResponse & { error: string }>;

export const cdnImagePath = (job: Pick<Job, "id">) => `/cdn/results/${job.id}/0.png`;
export const cdnAnnotatedPath = (job: Pick<Job, "id">) => `/cdn/results/${job.id}/annotated.png`;

export function failureOf(job: Job): { error: string; logs: string[] } {
  const error =
    job.scenario === "stuck"
      ? "Job timed out after 600 s in processing"
      : job.kind === "vision"
        ? "Inference failed: model returned no output"
        : "Generation failed: no person detected in person_image_url";
  // Times are offsets from submit in virtual time, not clock readings, so a
  // seeded run gives byte-identical failure bodies on every server.
  const at = (t: number) => `[+${((t - job.createdAt) / 1000).toFixed(3)}s]`;
  return {
    error,
    logs: [`${at(job.createdAt)} job ${job.id} queued on ${job.model.id}`, `${at(job.processingAt)} processing started`, `${at(job.finishedAt)} ${error}`],
  };
}

export function visionResultOf(job: Job, origin: string): VisionResult {
  if (job.model.kind !== "vision" || !job.vision) throw new Error("not a vision job");
  // Text and boxes are cached; the annotated URL follows the asking origin.
  job.result ??= buildVisionResult(job.seed, job.model, job.vision, { nsfw: job.scenario === "nsfw", annotatedUrl: "" });
  return job.result.annotated_image === null ? job.result : { ...job.result, annotated_image: origin + cdnAnnotatedPath(job) };
}

export function stateOf(job: Job, now: number): JobState {
  return stateAt(job, now);
}

/** The poll body for a job at `now`, with URLs on `origin`. */
export function viewOf(job: Job, now: number, origin: string): JobView {
  const base = { job_id: job.id, model_id: job.model.id };
  const state = stateAt(job, now);
  switch (state) {
    case "queued":
      return { ...base, status: "queued", queue_position: queuePositionAt(job, now) };
    case "processing":
      return { ...base, status: "processing" };
    case "failed":
      return { ...base, status: "failed", ...failureOf(job) };
    case "completed": {
      const elapsed_ms = job.finishedAt - job.createdAt;
      if (job.kind === "vision") return { ...base, status: "completed", result: visionResultOf(job, origin), elapsed_ms };
      return { ...base, status: "completed", images: [origin + cdnImagePath(job)], elapsed_ms };
    }
  }
}

/** Lines drawn on a result image, so a person can tell which job made it. */
export function imageLinesOf(job: Job): string[] {
  return [job.kind === "tryon" ? (job.garmentType ?? "clothing") : "generated", job.model.id.split("/")[0]!, ...job.id.match(/.{1,18}/g)!];
}

/** The boxes drawn on a detection job's annotated image: the same ones its result reports. */
export function annotatedBoxesOf(job: Job) {
  const label = job.model.kind === "vision" && job.vision ? detectionLabel(job.model, job.vision) : null;
  return detectionBoxes(job.seed, label);
}

/** A job as stores keep it outside the process (file, Redis): the model by id, no cached result. */
export type JobData = Omit<Job, "model" | "result"> & { modelId: string };

export function jobToData(job: Job): JobData {
  const { model, result: _result, ...rest } = job;
  return { ...rest, modelId: model.id };
}

export function jobFromData(data: JobData): Job {
  const { modelId, ...rest } = data;
  const model = findModel(modelId);
  if (!model) throw new Error(`stored job ${data.id} names unknown model ${modelId}`);
  return { ...rest, notFoundPollsLeft: rest.notFoundPollsLeft ?? 0, webhookFault: rest.webhookFault ?? null, model };
}

/** What the event stream says about a job: never its webhook secret. */
export function jobEventData(job: Job): JobEventData {
  return {
    job_id: job.id, key: job.key, kind: job.kind, model_id: job.model.id, scenario: job.scenario,
    created_ms: job.createdAt, processing_ms: job.processingAt, finished_ms: job.finishedAt, expires_ms: job.expiresAt,
    outcome: job.outcome, webhook_url: job.webhook?.url ?? null,
  };
}
