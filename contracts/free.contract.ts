import { describe, expect } from "vitest";
import { TRYON_MODELS, VISION_MODELS } from "../src/domain/catalog.js";
import { sharedValidators } from "../src/spec/validators.js";
import { free } from "./support/tests.js";

/** Every listed model at its documented price, and no other: a price is money, so it is compared exactly. */
const priced = (models: { id: string; credits: number }[]) => Object.fromEntries(models.map((m) => [m.id, m.credits]));

const PUBLIC_IMAGE = "https://example.com/person.jpg";
const SUBMITS = [
  { op: "submitTryon", path: "/tryon", body: { person_image_url: PUBLIC_IMAGE, garment_image_url: PUBLIC_IMAGE } },
  { op: "submitVision", path: "/vision", body: { image_url: PUBLIC_IMAGE } },
  { op: "submitGenerate", path: "/generate", body: { prompt: "A red dress on a mannequin" } },
] as const;

describe("catalogs", () => {
  free("GET /models lists the try-on models without a key", ["listModels 200"], async ({ api }) => {
    const res = await api.get("/models", { key: null });
    expect(res.status).toBe(200);
    expect(res.body.models.map((m: { id: string }) => m.id)).toContain("image-apps-v2/virtual-try-on");
    expect(priced(res.body.models)).toEqual(priced([...TRYON_MODELS]));
  });
  free("GET /vision lists the vision models without a key", ["listVisionModels 200"], async ({ api }) => {
    const res = await api.get("/vision", { key: null });
    expect(res.status).toBe(200);
    expect(res.body.models.length).toBeGreaterThanOrEqual(12);
    expect(priced(res.body.models)).toEqual(priced([...VISION_MODELS]));
  });
});

describe("authentication", () => {
  for (const s of SUBMITS) {
    free(`${s.path} without a key answers 401 UNAUTHORIZED`, [`${s.op} 401`], async ({ api }) => {
      const res = await api.post(s.path, s.body, { key: null });
      expect([res.status, res.body.code]).toEqual([401, "UNAUTHORIZED"]);
    });
  }
  free("a poll with a malformed key answers 401 UNAUTHORIZED", ["getJob 401"], async ({ api }) => {
    const res = await api.get("/jobs/contract-probe?model_id=moondream2", { key: "not_a_key" });
    expect([res.status, res.body.code]).toEqual([401, "UNAUTHORIZED"]);
  });
});

describe("documented 400s, rejected before charging", () => {
  for (const s of SUBMITS) {
    free(`${s.path} with an unknown model answers 400 INVALID_MODEL`, [`${s.op} 400`], async ({ api }) => {
      const res = await api.post(s.path, { ...s.body, model_id: "contract-no-such-model" });
      expect([res.status, res.body.code]).toEqual([400, "INVALID_MODEL"]);
      expect(res.body.error).toContain('"contract-no-such-model"');
    });
  }
  free("a vision submit without image_url answers 400 INVALID_REQUEST", [], async ({ api }) => {
    const res = await api.post("/vision", { model_id: "moondream2" });
    expect([res.status, res.body.code]).toEqual([400, "INVALID_REQUEST"]);
  });
  free("a body that is not JSON answers 400 INVALID_REQUEST", [], async ({ api }) => {
    const res = await api.call("POST", "/vision", { raw: "{not json", headers: { "Content-Type": "application/json" } });
    expect([res.status, res.body.code]).toEqual([400, "INVALID_REQUEST"]);
  });
  free("llava-next without a prompt answers 400 MISSING_FIELD with the documented message", [], async ({ api }) => {
    const res = await api.post("/vision", { model_id: "llava-next", image_url: PUBLIC_IMAGE });
    expect(res.body).toEqual({ error: 'model_id "llava-next" requires a "prompt" field (e.g. "Describe this image in detail.").', code: "MISSING_FIELD" });
  });
  free("moondream-next with task_type query and no prompt answers 400 MISSING_FIELD", [], async ({ api }) => {
    const res = await api.post("/vision", { model_id: "moondream-next", image_url: PUBLIC_IMAGE, task_type: "query" });
    expect(res.body).toEqual({ error: 'model_id "moondream-next" with task_type "query" requires a "prompt" field with the question to ask.', code: "MISSING_FIELD" });
  });
  free("moondream2/object-detection without object answers 400 MISSING_FIELD", [], async ({ api }) => {
    const res = await api.post("/vision", { model_id: "moondream2/object-detection", image_url: PUBLIC_IMAGE });
    expect([res.status, res.body.code]).toEqual([400, "MISSING_FIELD"]);
  });
  free("a private image URL answers 400 IMAGE_ERROR", [], async ({ api }) => {
    const res = await api.post("/vision", { image_url: "https://127.0.0.1/x.jpg" });
    expect(res.body).toEqual({ error: "Image error: Private URLs not allowed", code: "IMAGE_ERROR" });
  });
  free("a poll without model_id answers 400", ["getJob 400"], async ({ api }) => {
    const res = await api.get("/jobs/contract-probe");
    expect(res.status).toBe(400);
  });
});

describe("unknown things", () => {
  free("an unknown job id answers 404", ["getJob 404"], async ({ api }) => {
    const res = await api.get("/jobs/00000000-0000-4000-8000-000000000000?model_id=moondream2");
    expect(res.status).toBe(404);
  });
  free("an unknown route answers 404 with the error shape", [], async ({ api }) => {
    const res = await api.get("/no-such-route");
    expect(res.status).toBe(404);
  });
  const WRONG = [
    [["listModels"], "POST", "/models"], [["listVisionModels", "submitVision"], "DELETE", "/vision"], [["submitTryon"], "PUT", "/tryon"],
    [["submitGenerate"], "GET", "/generate"], [["getJob"], "PUT", "/jobs/contract-probe"],
  ] as const;
  for (const [ops, method, path] of WRONG) {
    free(`${method} ${path} answers 405 METHOD_NOT_ALLOWED with Allow`, ops.map((op) => `${op} 405`), async ({ api }) => {
      const res = await api.call(method, path, method === "GET" ? {} : { body: {} });
      expect([res.status, res.body.code]).toEqual([405, "METHOD_NOT_ALLOWED"]);
      const documented = sharedValidators().operationsOnPath(path).map((o) => o.method.toUpperCase()).sort();
      expect(String(res.headers.allow ?? "").split(",").map((m) => m.trim().toUpperCase()).filter(Boolean).sort(), "Allow lists the documented methods").toEqual(documented);
    });
  }
});
