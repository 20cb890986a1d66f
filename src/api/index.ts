/**
 * The ArtEmotion API's types, as `artemotion-mock/api`. Everything here is derived
 * from ./openapi.ts, which openapi-typescript generates from openapi.yaml
 * (`npm run gen:types`); the mock builds its bodies with these same types, so the
 * spec, the mock and a client typed from this module cannot drift apart.
 *
 * `paths` plugs straight into openapi-fetch: `createClient<paths>({ baseUrl })`.
 */
import type { components, operations } from "./openapi.js";

export type { $defs, components, operations, paths, webhooks } from "./openapi.js";

type Schemas = components["schemas"];

// Requests. Fields with a server-side default (model_id, garment_type, length) are optional.
export type SubmitTryonRequest = Schemas["TryonRequest"];
export type SubmitVisionRequest = Schemas["VisionRequest"];
export type SubmitGenerateRequest = Schemas["GenerateRequest"];

/** 202 from POST /tryon, /vision and /generate. */
export type SubmitResponse = Schemas["SubmitResponse"];

/**
 * 200 from GET /jobs/{job_id}. Narrow on `status`; a completed job is then told
 * apart by `"images" in job` (try-on, generate) or `"result" in job` (vision).
 */
export type JobStatusResponse = Schemas["JobStatus"];
export type JobStatusName = JobStatusResponse["status"];
export type JobQueuedResponse = Schemas["JobQueued"];
export type JobProcessingResponse = Schemas["JobProcessing"];
export type JobCompletedResponse = Schemas["JobCompleted"];
export type ImageJobCompletedResponse = Schemas["ImageJobCompleted"];
export type VisionJobCompletedResponse = Schemas["VisionJobCompleted"];
export type JobFailedResponse = Schemas["JobFailed"];

/** A vision job's `result`: every field present, null where it does not apply. */
export type VisionResult = Schemas["VisionResult"];
export type FlorenceBox = Schemas["FlorenceBox"];
export type MoondreamBox = Schemas["MoondreamBox"];
export type DetectedObject = FlorenceBox | MoondreamBox;

/** 200 from GET /models (try-on catalog) and GET /vision (vision catalog). */
export type ModelsResponse = Schemas["TryonCatalog"];
export type TryonModelInfo = ModelsResponse["models"][number];
export type VisionModelsResponse = Schemas["VisionCatalog"];
export type VisionModelInfo = VisionModelsResponse["models"][number];

export type ModelId = Schemas["ModelId"];
export type TryonModelId = Schemas["TryonModelId"];
export type VisionModelId = Schemas["VisionModelId"];
export type GenerateModelId = Schemas["GenerateModelId"];
export type GarmentType = Schemas["GarmentType"];

/** Every 4xx and 5xx body: `{ error, code }`. */
export type ErrorResponse = Schemas["Error"];
export type ErrorCode = Schemas["ErrorCode"];

/** The body POSTed to a submit's `webhook_url` when the job finishes. */
export type WebhookEvent = Schemas["WebhookPayload"];
/** The headers of that POST (X-ArtEmotion-Event, -Timestamp, -Signature, User-Agent). */
export type WebhookHeaders = operations["jobFinishedWebhook"]["parameters"]["header"];
export type WebhookEventName = WebhookHeaders["X-ArtEmotion-Event"];
