import { PNG } from "pngjs";
import { afterEach, describe, expect, it } from "vitest";
import { startMock, TRYON_BODY, TestClient } from "./helpers/client.js";
import type { MockServer } from "../src/server.js";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let server: MockServer;
let api: TestClient;
afterEach(() => server?.close());

/**
 * The docs' "Polling Pattern", step for step: wait, poll the poll_url as
 * given, stop on completed or failed, else delay = min(delay * 1.2, 10 s).
 * Waiting advances the virtual clock instead of sleeping.
 */
async function runLikeTheDocs(client: TestClient, path: string, body: unknown) {
  const submit = await client.post(path, body);
  if (submit.status !== 202) throw new Error(`Submit failed [${submit.body.code}]: ${submit.body.error}`);
  let delay = 3000;
  let waited = 0;
  for (let polls = 1; polls <= 50; polls++) {
    server.advance(delay);
    waited += delay;
    const poll = await client.poll(submit.body.poll_url);
    expect(poll.status).toBe(200);
    if (poll.body.status === "completed" || poll.body.status === "failed") return { submit: submit.body, data: poll.body, waited, polls };
    delay = Math.min(delay * 1.2, 10_000);
  }
  throw new Error("never finished");
}

async function downloadPng(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("image/png");
  const bytes = Buffer.from(await res.arrayBuffer());
  expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  const png = PNG.sync.read(bytes);
  expect(png.width * png.height).toBeGreaterThan(0);
}

describe("the docs' polling loop against a realistic mock", () => {
  it.each([1, 2, 3])("gets a completed try-on whose images download as PNGs (seed %i)", async (seed) => {
    ({ server, api } = await startMock({ seed }));
    server.freeze();
    const { submit, data, waited, polls } = await runLikeTheDocs(api, "/tryon", TRYON_BODY);
    expect(data.status).toBe("completed");
    expect(polls).toBeGreaterThan(1); // it really was polled while queued or processing
    expect(data.elapsed_ms).toBeGreaterThanOrEqual(10_000);
    expect(data.elapsed_ms).toBeLessThanOrEqual(Math.min(30_000, waited));
    expect(data.images.length).toBeGreaterThan(0);
    for (const url of data.images) {
      expect(url.startsWith(`${server.origin}/cdn/`)).toBe(true);
      await downloadPng(url);
    }
    expect(submit).toMatchObject({ model_id: "image-apps-v2/virtual-try-on", status: "queued", credits_used: 15, credits_left: 985 });
  });

  it.each([
    ["caption", { model_id: "moondream3-preview/caption", image_url: "https://example.com/photo.jpg", length: "long" }],
    ["VQA", { model_id: "llava-next", image_url: "https://example.com/photo.jpg", prompt: "What is in this image?" }],
    ["detection", { model_id: "moondream3-preview/detect", image_url: "https://example.com/street.jpg", prompt: "stop sign" }],
    ["moderation", { model_id: "imageutils/nsfw", image_url: "https://example.com/photo.jpg" }],
  ])("gets a completed %s vision job with every result field present", async (family, body) => {
    ({ server, api } = await startMock({ seed: 11 }));
    server.freeze();
    const { submit, data } = await runLikeTheDocs(api, "/vision", body);
    expect(data.status).toBe("completed");
    expect(data.model_id).toBe(body.model_id);
    expect(submit.credits_left).toBe(1000 - submit.credits_used);
    const r = data.result;
    expect(Object.keys(r).sort()).toEqual(["annotated_image", "is_nsfw", "nsfw_probability", "objects", "text"]);
    const nonNull = Object.keys(r).filter((k) => r[k] !== null).sort();
    const expected: Record<string, string[]> = {
      caption: ["text"],
      VQA: ["text"],
      detection: ["annotated_image", "objects"],
      moderation: ["is_nsfw", "nsfw_probability"],
    };
    expect(nonNull).toEqual(expected[family]);
    if (r.annotated_image) await downloadPng(r.annotated_image);
  });
});

describe("poll_url", () => {
  it("is absolute on the origin the client used, with model_id encoded, and works as given", async () => {
    ({ server, api } = await startMock({ timing: "instant" }));
    for (const host of ["127.0.0.1", "localhost"]) {
      const origin = `http://${host}:${server.port}`;
      const submit = await api.post(`${origin}/api/v1/vision`, { model_id: "moondream3-preview/caption", image_url: "https://example.com/p.jpg" });
      expect(submit.body.poll_url).toBe(`${origin}/api/v1/jobs/${submit.body.job_id}?model_id=moondream3-preview%2Fcaption`);
      const poll = await api.poll(submit.body.poll_url);
      expect(poll.status).toBe(200);
      expect(poll.body).toMatchObject({ job_id: submit.body.job_id, status: "completed" });
    }
  });

  it("uses --public-url instead of the Host when set, for poll_url and result URLs alike", async () => {
    ({ server, api } = await startMock({ timing: "instant", publicUrl: "https://mock.example.test/ignored/path" }));
    const submit = await api.post("/tryon", { ...TRYON_BODY, model_id: "fal-ai/flux-2-lora-gallery/virtual-tryon" });
    const { job_id, poll_url } = submit.body;
    expect(submit.body.model_id).toBe("flux-2-lora-gallery/virtual-tryon");
    expect(poll_url).toBe(`https://mock.example.test/api/v1/jobs/${job_id}?model_id=flux-2-lora-gallery%2Fvirtual-tryon`);
    // The public origin fronts this server; its path and query work here as given.
    const here = poll_url.replace("https://mock.example.test", server.origin);
    const poll = await api.poll(here);
    expect(poll.status).toBe(200);
    expect(poll.body.images).toEqual([`https://mock.example.test/cdn/results/${job_id}/0.png`]);
  });
});
