import type * as api from "../api/index.js";
import type { GarmentType, JobKind, Model } from "./catalog.js";
import { queuePositionAt, stateAt, type JobState, type Timeline } from "./lifecycle.js";
import { buildVisionResult, detectionBoxes, detectionLabel, type VisionInput, type VisionResult } from "./results.js";
import type { ScenarioName } from "./scenarios.js";

export const RESULT_TTL_MS = 24 * 60 * 60 * 1000;
export const STATUS_ERROR_POLLS = 3;

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
  statusErrorsLeft: number;
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

/** Jobs by id, with a per-key index so listing and resetting a key is cheap. */
export class JobStore {
  #byId = new Map<string, Job>();
  #byKey = new Map<string, Set<string>>();

  get size(): number {
    return this.#byId.size;
  }

  add(job: Job): void {
    this.#byId.set(job.id, job);
    let ids = this.#byKey.get(job.key);
    if (!ids) this.#byKey.set(job.key, (ids = new Set()));
    ids.add(job.id);
  }

  get(id: string): Job | undefined {
    return this.#byId.get(id);
  }

  /** A job only its own key may see; any other key gets the same as an unknown id. */
  getFor(key: string, id: string, now: number): Job | undefined {
    const job = this.#byId.get(id);
    return job && job.key === key && now < job.expiresAt ? job : undefined;
  }

  remove(id: string): Job | undefined {
    const job = this.#byId.get(id);
    if (!job) return undefined;
    this.#byId.delete(id);
    const ids = this.#byKey.get(job.key);
    ids?.delete(id);
    if (ids && ids.size === 0) this.#byKey.delete(job.key);
    return job;
  }

  listFor(key: string): Job[] {
    return [...(this.#byKey.get(key) ?? [])].map((id) => this.#byId.get(id)!);
  }

  all(): IterableIterator<Job> {
    return this.#byId.values();
  }

  removeKey(key: string): Job[] {
    return this.listFor(key).map((j) => this.remove(j.id)!);
  }

  clear(): void {
    this.#byId.clear();
    this.#byKey.clear();
  }
}
