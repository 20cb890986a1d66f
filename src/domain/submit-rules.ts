import { CATALOG_PATH, DEFAULT_MODEL, findModelOfKind, type GarmentType, type JobKind, type Model } from "./catalog.js";
import { ApiError } from "./errors.js";
import { checkImageUrl, checkWebhookUrl } from "./image-input.js";
import type { VisionInput } from "./results.js";
import { OPEN_WEBHOOKS, type WebhookPolicy } from "./webhook-policy.js";

/** A submit body after schema validation, with the model-specific rules applied. */
export interface SubmitRequest {
  kind: JobKind;
  model: Model;
  garmentType: GarmentType | null;
  vision: VisionInput | null;
  prompt: string | null;
  imageUrls: string[];
  webhook: { url: string; secret: string | null } | null;
}

const IMAGE_FIELDS: Record<JobKind, string[]> = {
  tryon: ["person_image_url", "garment_image_url"],
  vision: ["image_url"],
  generate: [],
};

const NONE: ReadonlySet<string> = new Set();

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v : null);

export function resolveModel(kind: JobKind, requested: unknown): Model {
  const id = typeof requested === "string" ? requested : DEFAULT_MODEL[kind];
  const model = findModelOfKind(kind, id);
  if (!model) throw new ApiError("INVALID_MODEL", `Unknown model_id "${id}". GET ${CATALOG_PATH[kind]} for the model list.`);
  return model;
}

function visionInput(model: Model, body: Record<string, unknown>): VisionInput {
  const prompt = str(body.prompt);
  const object = str(body.object);
  const requestedTask = body.task_type === "caption" || body.task_type === "query" ? body.task_type : null;
  if (model.kind !== "vision") throw new Error("not a vision model");
  if (model.prompt === "required" && model.promptField === "object" && object === null) {
    throw new ApiError("MISSING_FIELD", `model_id "${model.id}" requires an "object" field (e.g. "${model.promptExample}").`);
  }
  if (model.prompt === "required" && model.promptField === "prompt" && prompt === null) {
    throw new ApiError("MISSING_FIELD", `model_id "${model.id}" requires a "prompt" field (e.g. "${model.promptExample}").`);
  }
  let taskType: VisionInput["taskType"] = null;
  if (model.acceptsTaskType) {
    taskType = requestedTask ?? (prompt === null ? "caption" : "query");
    if (taskType === "query" && prompt === null) {
      throw new ApiError("MISSING_FIELD", `model_id "${model.id}" with task_type "query" requires a "prompt" field with the question to ask.`);
    }
  }
  const length = model.acceptsLength && (body.length === "short" || body.length === "long") ? body.length : "normal";
  return { prompt: model.prompt === "not_used" ? null : prompt, object, length, taskType };
}

/** Applies the catalog's rules in the documented order: model, model fields, images, webhook. */
/** `base64Checked`: top-level fields whose data URL payload the body reader already checked byte by byte. */
export function resolveSubmit(kind: JobKind, body: Record<string, unknown>, webhookPolicy: WebhookPolicy = OPEN_WEBHOOKS, base64Checked: ReadonlySet<string> = NONE): SubmitRequest {
  const model = resolveModel(kind, body.model_id);
  const vision = kind === "vision" ? visionInput(model, body) : null;
  const imageUrls: string[] = [];
  for (const field of IMAGE_FIELDS[kind]) {
    const value = body[field] as string;
    const check = checkImageUrl(field, value, base64Checked.has(field));
    if (!check.ok) throw new ApiError(check.code, check.message);
    imageUrls.push(value);
  }
  let webhook: SubmitRequest["webhook"] = null;
  if (typeof body.webhook_url === "string") {
    const check = checkWebhookUrl(body.webhook_url, webhookPolicy);
    if (!check.ok) throw new ApiError(check.code, check.message);
    webhook = { url: body.webhook_url, secret: str(body.webhook_secret) };
  }
  return {
    kind,
    model,
    garmentType: kind === "tryon" ? ((body.garment_type as GarmentType | undefined) ?? "clothing") : null,
    vision,
    prompt: kind === "generate" ? str(body.prompt) : null,
    imageUrls,
    webhook,
  };
}
