import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_MODEL, GARMENT_TYPES, GENERATE_MODELS, LONG_FORM_PREFIX, TRYON_MODELS, VISION_MODELS,
  tryonCatalogBody, visionCatalogBody, type Model,
} from "../src/domain/catalog.js";
import type { MockServer } from "../src/server.js";
import { sharedValidators } from "../src/spec/validators.js";
import { startMock, TRYON_BODY, type TestClient } from "./helpers/client.js";

type Schema = { enum?: string[]; default?: unknown; properties?: Record<string, Schema> };
const schemas = sharedValidators().doc.components!.schemas! as Record<string, Schema>;
const ids = (models: readonly Model[]) => models.map((m) => m.id);

/** The docs' model tables: id → credits. */
const DOCS_CREDITS: Record<string, number> = {
  "image-apps-v2/virtual-try-on": 15, "flux-2-lora-gallery/virtual-tryon": 20,
  moondream2: 2, "llava-next": 4, "nvidia/nemotron-3-nano-omni/vision": 5, "nvidia/nemotron-3-nano-omni": 5,
  "florence-2-large/object-detection": 2, "moondream2/object-detection": 2, "moondream3-preview/detect": 3,
  "x-ailab/nsfw": 2, "moondream3-preview/caption": 2, "moondream3-preview/query": 2, "moondream-next": 2, "imageutils/nsfw": 2,
};

describe("the model catalog", () => {
  it("has exactly the ids of the spec's model-id enums, in order", () => {
    expect(ids(TRYON_MODELS)).toEqual(schemas.TryonModelId!.enum);
    expect(ids(VISION_MODELS)).toEqual(schemas.VisionModelId!.enum);
    expect(ids(GENERATE_MODELS)).toEqual(schemas.GenerateModelId!.enum);
  });

  it("has the spec's garment types and default models", () => {
    expect(GARMENT_TYPES).toEqual(schemas.GarmentType!.enum);
    expect(schemas.GarmentType!.default).toBe("clothing");
    expect(schemas.TryonRequest!.properties!.model_id!.default).toBe(DEFAULT_MODEL.tryon);
    expect(schemas.VisionRequest!.properties!.model_id!.default).toBe(DEFAULT_MODEL.vision);
    expect(schemas.GenerateRequest!.properties!.model_id!.default).toBe(DEFAULT_MODEL.generate);
    expect(DEFAULT_MODEL).toEqual({ tryon: "image-apps-v2/virtual-try-on", vision: "moondream2", generate: "flux-pro" });
  });

  it("charges the docs' credits for every try-on and vision model", () => {
    const charged = Object.fromEntries([...TRYON_MODELS, ...VISION_MODELS].map((m) => [m.id, m.credits]));
    expect(charged).toEqual(DOCS_CREDITS);
  });
});

describe("the catalog endpoints", () => {
  let server: MockServer;
  let api: TestClient;
  beforeAll(async () => ({ server, api } = await startMock({ seed: 7 })));
  afterAll(() => server.close());

  it("answers GET /models without a key, from the catalog", async () => {
    const res = await api.get("/models", { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(tryonCatalogBody());
    expect(res.body.models.map((m: { id: string }) => m.id)).toEqual(ids(TRYON_MODELS));
  });

  it("answers GET /vision without a key, from the catalog", async () => {
    const res = await api.get("/vision", { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(visionCatalogBody());
    const llava = res.body.models.find((m: { id: string }) => m.id === "llava-next");
    expect(llava).toMatchObject({ credits: 4, tasks: ["vqa", "ocr", "caption"], prompt: "required", prompt_field: "prompt" });
    const detect = res.body.models.find((m: { id: string }) => m.id === "moondream2/object-detection");
    expect(detect).toMatchObject({ prompt: "required", prompt_field: "object" });
  });

  it("ignores a malformed key on the catalogs, which need none", async () => {
    expect((await api.get("/models", { key: "not-a-key" })).status).toBe(200);
    expect((await api.get("/vision", { key: "not-a-key" })).status).toBe(200);
  });
});

/** A valid submit for each model, naming it with the `fal-ai/` prefix. */
function prefixedSubmit(m: Model): [string, Record<string, unknown>] {
  const model_id = LONG_FORM_PREFIX + m.id;
  if (m.kind === "tryon") return ["/tryon", { ...TRYON_BODY, model_id }];
  if (m.kind === "generate") return ["/generate", { model_id, prompt: "Cinematic portrait, golden hour" }];
  const body: Record<string, unknown> = { model_id, image_url: "https://example.com/photo.jpg" };
  if (m.prompt !== "not_used") body[m.promptField] = m.promptExample;
  return ["/vision", body];
}

describe("long-form model ids", () => {
  let server: MockServer;
  let api: TestClient;
  beforeAll(async () => ({ server, api } = await startMock({ seed: 8 }, "ae_test_longformids")));
  afterAll(() => server.close());

  it.each([...TRYON_MODELS, ...VISION_MODELS, ...GENERATE_MODELS].map((m) => [m.id, m] as const))(
    "accepts fal-ai/%s on submit and answers with the short form",
    async (id, m) => {
      const [path, body] = prefixedSubmit(m);
      const res = await api.post(path, body);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.model_id).toBe(id);
      expect(res.body.credits_used).toBe(m.credits);
      expect(new URL(res.body.poll_url).searchParams.get("model_id")).toBe(id);
      const poll = await api.poll(res.body.poll_url);
      expect(poll.status).toBe(200);
      expect(poll.body.model_id).toBe(id);
    },
  );

  it("finds a job polled with the fal-ai/ form of its model id", async () => {
    const res = await api.post("/vision", { model_id: "moondream2", image_url: "https://example.com/photo.jpg" });
    const poll = await api.get(`/jobs/${res.body.job_id}?model_id=${encodeURIComponent("fal-ai/moondream2")}`);
    expect(poll.status).toBe(200);
    expect(poll.body).toMatchObject({ job_id: res.body.job_id, model_id: "moondream2" });
  });

  it("rejects another provider's prefix as an unknown model", async () => {
    const res = await api.post("/vision", { model_id: "replicate/moondream2", image_url: "https://example.com/photo.jpg" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'Unknown model_id "replicate/moondream2". GET /api/v1/vision for the model list.', code: "INVALID_MODEL" });
  });
});
