import type { Faker } from "@faker-js/faker";
import { createRequire } from "node:module";
import { createHash } from "node:crypto";
import type * as api from "../api/index.js";
import type { VisionModel } from "./catalog.js";
import { rngFrom, type Rng } from "./random.js";

/** The poll's `result`, exactly as the spec types it, so the mock cannot send another shape. */
export type VisionResult = api.VisionResult;
export type FlorenceObject = api.FlorenceBox;
export type MoondreamObject = api.MoondreamBox;
export type DetectedObject = api.DetectedObject;

export interface VisionInput {
  prompt: string | null;
  object: string | null;
  length: "short" | "normal" | "long";
  taskType: "caption" | "query" | null;
}

/** Florence reports pixel boxes; we assume a 1024×768 source image. */
export const FLORENCE_FRAME = { width: 1024, height: 768 };
const FLORENCE_LABELS = ["person", "car", "dog", "bicycle", "traffic light", "chair", "bottle", "handbag"];

function seedNumber(seed: string): number {
  return createHash("sha256").update(seed).digest().readUInt32LE(0);
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Normalised boxes, shared by both box formats and by the annotated PNG. */
export function detectionBoxes(seed: string, label: string | null): { label: string; x_min: number; y_min: number; x_max: number; y_max: number }[] {
  const rng: Rng = rngFrom(`boxes:${seed}`);
  const count = 1 + Math.floor(rng() * 3);
  return Array.from({ length: count }, () => {
    const w = 0.1 + rng() * 0.3, h = 0.1 + rng() * 0.4;
    const x = rng() * (1 - w), y = rng() * (1 - h);
    return {
      label: label ?? FLORENCE_LABELS[Math.floor(rng() * FLORENCE_LABELS.length)]!,
      x_min: round3(x), y_min: round3(y), x_max: round3(x + w), y_max: round3(y + h),
    };
  });
}

/** What a detection model boxes: moondream models the label asked for (in their prompt field), florence its own labels. */
export function detectionLabel(model: VisionModel, input: VisionInput): string | null {
  if (model.boxFormat !== "moondream") return null;
  return model.promptField === "object" ? input.object : input.prompt;
}

const requireModule = createRequire(import.meta.url);
let loaded: Faker | undefined;

/**
 * faker's English locale, loaded on first use (about 25 ms, a sixth of a cold
 * start, for text only vision results need). Node 20.19+ can require() an ES
 * module synchronously; the CLI warms it up just after it starts listening.
 */
export function fakerEn(): Faker {
  loaded ??= (requireModule("@faker-js/faker/locale/en") as { faker: Faker }).faker;
  return loaded;
}

/** Text shaped like an answer to the prompt, or a caption of the requested length. */
export function visionText(seed: string, model: VisionModel, input: VisionInput): string {
  const faker = fakerEn();
  faker.seed(seedNumber(`text:${seed}`));
  const asking = model.prompt === "required" || (input.prompt !== null && input.taskType !== "caption");
  if (!asking || input.prompt === null) {
    const sentences = input.length === "short" ? 1 : input.length === "long" ? 5 : 2;
    const subject = `A ${faker.color.human()} ${faker.animal.type()} ${faker.helpers.arrayElement(["sitting", "standing", "resting", "walking"])} ${faker.helpers.arrayElement(["on a wooden floor", "in a sunny park", "beside a window", "on a city street"])}`;
    if (sentences === 1) return `${subject}.`;
    return [`${subject}.`, ...Array.from({ length: sentences - 1 }, () => faker.lorem.sentence())].join(" ");
  }
  const q = input.prompt.trim().toLowerCase();
  if (/^how many\b/.test(q)) return `There are ${faker.number.int({ min: 1, max: 7 })}.`;
  if (/^(is|are|does|do|can|was|were|has|have)\b/.test(q)) return `${faker.helpers.arrayElement(["Yes", "No"])}, ${faker.lorem.sentence().toLowerCase()}`;
  if (/\bcolou?r\b/.test(q)) return `It is ${faker.color.human()}.`;
  if (/\b(text|read|ocr|written|say)\b/.test(q)) return `The text reads: "${faker.company.catchPhrase()}".`;
  return faker.lorem.sentences({ min: 1, max: 3 });
}

export function buildVisionResult(
  seed: string,
  model: VisionModel,
  input: VisionInput,
  opts: { nsfw: boolean; annotatedUrl: string },
): VisionResult {
  const result: VisionResult = { text: null, objects: null, annotated_image: null, is_nsfw: null, nsfw_probability: null };
  if (model.family === "text") result.text = visionText(seed, model, input);
  if (model.family === "detection") {
    const boxes = detectionBoxes(seed, detectionLabel(model, input));
    result.objects =
      model.boxFormat === "florence"
        ? boxes.map((b) => ({
            label: b.label,
            bbox: [Math.round(b.x_min * FLORENCE_FRAME.width), Math.round(b.y_min * FLORENCE_FRAME.height), Math.round(b.x_max * FLORENCE_FRAME.width), Math.round(b.y_max * FLORENCE_FRAME.height)],
          }))
        : boxes;
    result.annotated_image = opts.annotatedUrl;
  }
  if (model.family === "moderation") {
    const rng = rngFrom(`nsfw:${seed}`);
    result.is_nsfw = opts.nsfw;
    if (model.reportsNsfwProbability) result.nsfw_probability = round3(opts.nsfw ? 0.9 + rng() * 0.09 : 0.01 + rng() * 0.08);
  }
  return result;
}
