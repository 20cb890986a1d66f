import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMock, TRYON_BODY, type TestClient } from "./helpers/client.js";
import { renderAnnotatedPng } from "../src/domain/png.js";
import type { MockServer } from "../src/server.js";

const IMAGE = "https://example.com/photo.jpg";
const FIELDS = ["annotated_image", "is_nsfw", "nsfw_probability", "objects", "text"];

let server: MockServer;
let api: TestClient;
// Instant timing: shapes do not depend on time. Rate limits off: this file submits many vision jobs.
beforeAll(async () => ({ server, api } = await startMock({ seed: 5, timing: "instant", rateLimits: false })));
afterAll(() => server.close());

async function visionResult(body: Record<string, unknown>) {
  const submit = await api.post("/vision", { image_url: IMAGE, ...body });
  expect(submit.status).toBe(202);
  const done = await api.poll(submit.body.poll_url);
  expect(done.body.status).toBe("completed");
  expect(Object.keys(done.body.result).sort()).toEqual(FIELDS);
  return { jobId: submit.body.job_id as string, result: done.body.result };
}

async function downloadPng(url: string) {
  expect(url.startsWith(`${server.origin}/cdn/`)).toBe(true);
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("image/png");
  const bytes = Buffer.from(await res.arrayBuffer());
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const png = PNG.sync.read(bytes);
  expect(png.width).toBeGreaterThan(0);
  return bytes;
}

describe("vision results by model family", () => {
  it.each([
    ["moondream2", {}],
    ["moondream3-preview/caption", {}],
    ["llava-next", { prompt: "Describe this image in detail." }],
    ["moondream3-preview/query", { prompt: "What objects are on the table?" }],
    ["moondream-next", { task_type: "query", prompt: "What is in this image?" }],
  ])("%s answers with text and nulls elsewhere", async (model_id, extra) => {
    const { result } = await visionResult({ model_id, ...extra });
    expect(result.text).toEqual(expect.stringMatching(/\S/));
    expect(result).toMatchObject({ objects: null, annotated_image: null, is_nsfw: null, nsfw_probability: null });
  });

  it("shapes VQA answers after the question", async () => {
    expect((await visionResult({ model_id: "llava-next", prompt: "How many dogs are there?" })).result.text).toMatch(/^There are \d+\.$/);
    expect((await visionResult({ model_id: "llava-next", prompt: "Is it raining?" })).result.text).toMatch(/^(Yes|No), /);
  });

  it("honours length on moondream3-preview/caption: short is shorter than normal, normal than long", async () => {
    for (let i = 0; i < 5; i++) {
      const caption = async (length: string) => (await visionResult({ model_id: "moondream3-preview/caption", length })).result.text as string;
      const [short, normal, long] = [await caption("short"), await caption("normal"), await caption("long")];
      expect(short.length).toBeLessThan(normal.length);
      expect(normal.length).toBeLessThan(long.length);
    }
  });

  it("florence-2-large reports {label, bbox} pixel boxes and an annotated PNG", async () => {
    const { result } = await visionResult({ model_id: "florence-2-large/object-detection" });
    expect(result).toMatchObject({ text: null, is_nsfw: null, nsfw_probability: null });
    expect(result.objects.length).toBeGreaterThan(0);
    for (const o of result.objects) {
      expect(Object.keys(o).sort()).toEqual(["bbox", "label"]);
      const [x0, y0, x1, y1] = o.bbox;
      for (const v of o.bbox) expect(Number.isInteger(v)).toBe(true);
      expect(0 <= x0 && x0 < x1 && x1 <= 1024).toBe(true);
      expect(0 <= y0 && y0 < y1 && y1 <= 768).toBe(true);
    }
    await downloadPng(result.annotated_image);
  });

  it.each([
    ["moondream3-preview/detect", { prompt: "person", object: "ignored" }, "person"],
    ["moondream2/object-detection", { object: "car", prompt: "ignored" }, "car"],
  ])("%s reports normalised boxes of what was asked for, drawn on its annotated PNG", async (model_id, extra, label) => {
    const { jobId, result } = await visionResult({ model_id, ...extra });
    expect(result).toMatchObject({ text: null, is_nsfw: null, nsfw_probability: null });
    expect(result.objects.length).toBeGreaterThan(0);
    for (const o of result.objects) {
      expect(Object.keys(o).sort()).toEqual(["label", "x_max", "x_min", "y_max", "y_min"]);
      expect(o.label).toBe(label);
      expect(0 <= o.x_min && o.x_min < o.x_max && o.x_max <= 1).toBe(true);
      expect(0 <= o.y_min && o.y_min < o.y_max && o.y_max <= 1).toBe(true);
    }
    const bytes = await downloadPng(result.annotated_image);
    // The annotated image draws exactly the boxes the result reports.
    const seed = (await server.mock.store.job(jobId))!.seed;
    expect(bytes.equals(renderAnnotatedPng({ boxes: result.objects, seed }))).toBe(true);
  });

  it("moderation models report is_nsfw; only imageutils/nsfw reports nsfw_probability", async () => {
    const a = (await visionResult({ model_id: "imageutils/nsfw" })).result;
    expect(a).toMatchObject({ text: null, objects: null, annotated_image: null, is_nsfw: false });
    expect(a.nsfw_probability).toBeGreaterThanOrEqual(0);
    expect(a.nsfw_probability).toBeLessThan(0.5);
    const b = (await visionResult({ model_id: "x-ailab/nsfw" })).result;
    expect(b).toEqual({ text: null, objects: null, annotated_image: null, is_nsfw: false, nsfw_probability: null });
  });

  it("serves no annotated image for a job that is not a detection job", async () => {
    const { jobId } = await visionResult({ model_id: "moondream2" });
    expect((await fetch(`${server.origin}/cdn/results/${jobId}/annotated.png`)).status).toBe(404);
    expect((await fetch(`${server.origin}/cdn/results/${jobId}/0.png`)).status).toBe(404);
  });
});

describe("try-on and generate results", () => {
  it("serve a valid PNG per job, different for different jobs", async () => {
    const images: Buffer[] = [];
    for (const [path, body] of [["/tryon", TRYON_BODY], ["/tryon", { ...TRYON_BODY, garment_type: "hat" }], ["/generate", { prompt: "a boot" }]] as const) {
      const done = await api.poll((await api.post(path, body)).body.poll_url);
      expect(done.body.images).toHaveLength(1);
      images.push(await downloadPng(done.body.images[0]));
    }
    expect(images[0]!.equals(images[1]!)).toBe(false);
    expect(images[1]!.equals(images[2]!)).toBe(false);
  });

  it("answers 404 for an unknown job's image", async () => {
    const res = await fetch(`${server.origin}/cdn/results/00000000-0000-4000-8000-000000000000/0.png`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: "NOT_FOUND" });
  });
});
