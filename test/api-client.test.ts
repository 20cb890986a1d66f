import createClient from "openapi-fetch";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import type { ErrorCode, JobStatusResponse, paths, SubmitResponse } from "../src/api/index.js";
import { createMockServer, type MockServer } from "../src/server.js";

/**
 * A client generated from openapi.yaml the way an integrator would write one:
 * openapi-fetch over the exported `paths`, no casts, against a real mock.
 */
const KEY = "ae_test_typedclient01";
let mock: MockServer;

beforeEach(async () => {
  mock = await createMockServer({ seed: 16 });
  mock.freeze(); // realistic timing: jobs move only when the test advances the clock
});
afterEach(() => mock.close());

const clientOf = (server: MockServer, key: string | null = KEY) =>
  createClient<paths>({ baseUrl: server.baseUrl, headers: key ? { Authorization: `Bearer ${key}` } : {} });

async function pollJob(api: ReturnType<typeof clientOf>, job_id: string, model_id: string) {
  const poll = await api.GET("/jobs/{job_id}", { params: { path: { job_id }, query: { model_id } } });
  expect(poll.response.status, JSON.stringify(poll.error)).toBe(200);
  const job: JobStatusResponse = poll.data!; // openapi-fetch's body type is the exported alias's
  return { job, url: poll.response.url };
}

describe("an openapi-fetch client typed by artemotion-mock/api", () => {
  it("submits a try-on with only the two image URLs, polls its poll_url to completed and gets images", async () => {
    const api = clientOf(mock);
    const submit = await api.POST("/tryon", {
      body: { person_image_url: "https://example.com/model.jpg", garment_image_url: "https://example.com/tshirt.jpg" },
    });
    expect(submit.response.status).toBe(202);
    expectTypeOf(submit.data).toEqualTypeOf<SubmitResponse | undefined>();
    const { job_id, model_id, status, credits_used, poll_url } = submit.data!;
    expect({ model_id, status, credits_used }).toEqual({ model_id: "image-apps-v2/virtual-try-on", status: "queued", credits_used: 15 });

    const first = await pollJob(api, job_id, model_id!);
    expect(first.url).toBe(poll_url); // the typed call lands on the very URL the mock handed out
    expect(first.job.status).toBe("queued");

    mock.advance(60_000);
    const { job } = await pollJob(api, job_id, model_id!);
    if (job.status !== "completed" || !("images" in job)) throw new Error(`expected a completed try-on, got ${JSON.stringify(job)}`);
    expect(job.images).toEqual([`${mock.origin}/cdn/results/${job_id}/0.png`]);
    expect(job.elapsed_ms).toBeGreaterThanOrEqual(10_000);
  });

  it("submits a vision job with only image_url and reads the default model's result", async () => {
    const api = clientOf(mock);
    const submit = await api.POST("/vision", { body: { image_url: "https://example.com/photo.jpg" } });
    expect(submit.response.status).toBe(202);
    expect(submit.data).toMatchObject({ model_id: "moondream2", credits_used: 2, credits_left: 998 });

    mock.advance(60_000);
    const { job } = await pollJob(api, submit.data!.job_id, "moondream2");
    if (job.status !== "completed" || !("result" in job)) throw new Error(`expected a completed vision job, got ${JSON.stringify(job)}`);
    expect(typeof job.result.text).toBe("string");
    expect(job.result).toMatchObject({ objects: null, annotated_image: null, is_nsfw: null, nsfw_probability: null });
  });

  it("lists both catalogs without a key", async () => {
    const anonymous = clientOf(mock, null);
    const tryon = await anonymous.GET("/models");
    const vision = await anonymous.GET("/vision");
    expect(tryon.data?.models.map((m) => m.id)).toEqual(["image-apps-v2/virtual-try-on", "flux-2-lora-gallery/virtual-tryon"]);
    expect(vision.data?.models.find((m) => m.id === "llava-next")).toMatchObject({ credits: 4, prompt: "required" });
  });

  it("gets documented errors as typed { error, code } bodies", async () => {
    const noKey = await clientOf(mock, null).POST("/vision", { body: { image_url: "https://example.com/photo.jpg" } });
    expect(noKey.response.status).toBe(401);
    expectTypeOf(noKey.error!.code).toEqualTypeOf<ErrorCode>();
    expect(noKey.error).toEqual({ error: "Missing Authorization header", code: "UNAUTHORIZED" });

    const noPrompt = await clientOf(mock).POST("/vision", { body: { model_id: "llava-next", image_url: "https://example.com/photo.jpg" } });
    expect(noPrompt.response.status).toBe(400);
    expect(noPrompt.error?.code).toBe("MISSING_FIELD");

    const unknownJob = await clientOf(mock).GET("/jobs/{job_id}", { params: { path: { job_id: "nope" }, query: { model_id: "moondream2" } } });
    expect(unknownJob.response.status).toBe(404);
    expect(unknownJob.error?.code).toBe("NOT_FOUND");
  });
});
