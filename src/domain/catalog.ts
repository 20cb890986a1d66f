/**
 * The one source for the model catalogs. openapi.yaml's model-id enums, the
 * README's model tables and the GET /models and GET /vision bodies all derive
 * from (or are checked against) this module.
 */
import type * as api from "../api/index.js";

export type JobKind = "tryon" | "vision" | "generate";
export type VisionFamily = "text" | "detection" | "moderation";
/** How a vision model treats `prompt` (or, for one model, `object`). */
export type PromptRule = "required" | "optional" | "not_used";
export type BoxFormat = "florence" | "moondream";

export const GARMENT_TYPES = ["top", "bottom", "glasses", "hat", "sneakers", "clothing"] as const;
export type GarmentType = (typeof GARMENT_TYPES)[number];

interface BaseModel {
  readonly id: string;
  readonly credits: number;
  readonly kind: JobKind;
}
/* Each kind's ids are typed by the spec's enum, so a model the spec does not list fails to compile. */
export interface TryonModel extends BaseModel {
  readonly id: api.TryonModelId;
  readonly kind: "tryon";
  readonly bestFor: string;
  readonly recommendedFor: readonly GarmentType[];
}
export interface VisionModel extends BaseModel {
  readonly id: api.VisionModelId;
  readonly kind: "vision";
  readonly tasks: readonly string[];
  readonly family: VisionFamily;
  readonly prompt: PromptRule;
  /** The body field the prompt rule applies to. */
  readonly promptField: "prompt" | "object";
  readonly promptExample: string | null;
  readonly boxFormat: BoxFormat | null;
  readonly reportsNsfwProbability: boolean;
  readonly acceptsLength: boolean;
  readonly acceptsTaskType: boolean;
}
export interface GenerateModel extends BaseModel {
  readonly id: api.GenerateModelId;
  readonly kind: "generate";
}
export type Model = TryonModel | VisionModel | GenerateModel;

/** The upstream provider prefix the docs allude to ("short-form model IDs are also accepted"). */
export const LONG_FORM_PREFIX = "fal-ai/";

export const TRYON_MODELS: readonly TryonModel[] = [
  { id: "image-apps-v2/virtual-try-on", credits: 15, kind: "tryon", bestFor: "All garment types — tops, bottoms, glasses, hats, sneakers", recommendedFor: GARMENT_TYPES },
  { id: "flux-2-lora-gallery/virtual-tryon", credits: 20, kind: "tryon", bestFor: "Tops and bottoms (LoRA-based generation)", recommendedFor: ["top", "bottom", "clothing"] },
];

const vision = (v: Omit<VisionModel, "kind" | "promptField" | "boxFormat" | "reportsNsfwProbability" | "acceptsLength" | "acceptsTaskType"> & Partial<VisionModel>): VisionModel => ({
  kind: "vision", promptField: "prompt", boxFormat: null, reportsNsfwProbability: false, acceptsLength: false, acceptsTaskType: false, ...v,
});

export const VISION_MODELS: readonly VisionModel[] = [
  vision({ id: "moondream2", credits: 2, tasks: ["caption", "vqa"], family: "text", prompt: "optional", promptExample: "What is in this image?" }),
  vision({ id: "llava-next", credits: 4, tasks: ["vqa", "ocr", "caption"], family: "text", prompt: "required", promptExample: "Describe this image in detail." }),
  vision({ id: "nvidia/nemotron-3-nano-omni/vision", credits: 5, tasks: ["vqa", "reasoning"], family: "text", prompt: "required", promptExample: "Describe this image in detail." }),
  vision({ id: "nvidia/nemotron-3-nano-omni", credits: 5, tasks: ["vqa", "reasoning", "multimodal"], family: "text", prompt: "required", promptExample: "Describe this image in detail." }),
  vision({ id: "florence-2-large/object-detection", credits: 2, tasks: ["detection"], family: "detection", prompt: "not_used", promptExample: null, boxFormat: "florence" }),
  vision({ id: "moondream2/object-detection", credits: 2, tasks: ["detection"], family: "detection", prompt: "required", promptField: "object", promptExample: "car", boxFormat: "moondream" }),
  vision({ id: "moondream3-preview/detect", credits: 3, tasks: ["detection"], family: "detection", prompt: "required", promptExample: "person", boxFormat: "moondream" }),
  vision({ id: "x-ailab/nsfw", credits: 2, tasks: ["moderation"], family: "moderation", prompt: "not_used", promptExample: null }),
  vision({ id: "moondream3-preview/caption", credits: 2, tasks: ["caption"], family: "text", prompt: "not_used", promptExample: null, acceptsLength: true }),
  vision({ id: "moondream3-preview/query", credits: 2, tasks: ["vqa"], family: "text", prompt: "required", promptExample: "What objects are on the table?" }),
  vision({ id: "moondream-next", credits: 2, tasks: ["caption", "vqa"], family: "text", prompt: "optional", promptExample: "What is in this image?", acceptsTaskType: true }),
  vision({ id: "imageutils/nsfw", credits: 2, tasks: ["moderation"], family: "moderation", prompt: "not_used", promptExample: null, reportsNsfwProbability: true }),
];

/** POST /generate appears only in the docs' webhook example ("flux-pro"); its cost is our assumption. */
export const GENERATE_MODELS: readonly GenerateModel[] = [{ id: "flux-pro", credits: 10, kind: "generate" }];

export const DEFAULT_MODEL: Readonly<Record<JobKind, string>> = {
  tryon: "image-apps-v2/virtual-try-on",
  vision: "moondream2",
  generate: "flux-pro",
};

/** Where a client finds the list, as named in the INVALID_MODEL message. */
export const CATALOG_PATH: Readonly<Record<JobKind, string>> = {
  tryon: "/api/v1/models",
  vision: "/api/v1/vision",
  generate: "/api/v1/models",
};

const ALL_MODELS: readonly Model[] = [...TRYON_MODELS, ...VISION_MODELS, ...GENERATE_MODELS];
const BY_ID = new Map<string, Model>();
for (const m of ALL_MODELS) {
  BY_ID.set(m.id, m);
  BY_ID.set(LONG_FORM_PREFIX + m.id, m);
}

/** Resolves a short-form or `fal-ai/`-prefixed id to its model, or undefined. */
export function findModel(id: string): Model | undefined {
  return BY_ID.get(id);
}

/** A model of the given kind, or undefined when the id is unknown or of another kind. */
export function findModelOfKind<K extends JobKind>(kind: K, id: string): Extract<Model, { kind: K }> | undefined {
  const m = BY_ID.get(id);
  return m && m.kind === kind ? (m as Extract<Model, { kind: K }>) : undefined;
}

export function modelsOfKind(kind: JobKind): readonly Model[] {
  return kind === "tryon" ? TRYON_MODELS : kind === "vision" ? VISION_MODELS : GENERATE_MODELS;
}

/** Public catalog bodies (GET /models, GET /vision), typed by the spec's response schemas. */
export function tryonCatalogBody(): api.ModelsResponse {
  return {
    models: TRYON_MODELS.map((m) => ({ id: m.id, credits: m.credits, best_for: m.bestFor, garment_types: [...GARMENT_TYPES], recommended_for: [...m.recommendedFor] })),
  };
}

export function visionCatalogBody(): api.VisionModelsResponse {
  return {
    models: VISION_MODELS.map((m) => ({
      id: m.id,
      credits: m.credits,
      tasks: [...m.tasks],
      prompt: m.prompt,
      prompt_field: m.prompt === "not_used" ? null : m.promptField,
      accepts: (["length", "task_type"] as const).filter((field) => (field === "length" ? m.acceptsLength : m.acceptsTaskType)),
    })),
  };
}
