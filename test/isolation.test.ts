import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMock, TRYON_BODY, TestClient } from "./helpers/client.js";
import type { MockServer } from "../src/server.js";

let server: MockServer;
let alice: TestClient;
let bob: TestClient;
beforeAll(async () => {
  ({ server, api: alice } = await startMock({ timing: "instant" }, "ae_test_alice000001"));
  bob = new TestClient(server, "ae_test_bob00000001");
});
afterAll(() => server.close());

const jobUrl = (jobId: string, modelId: string | null) =>
  `/jobs/${jobId}${modelId === null ? "" : `?model_id=${encodeURIComponent(modelId)}`}`;

describe("jobs are visible only to the key that made them", () => {
  it("answers another key's job exactly like an unknown id", async () => {
    const submit = await bob.post("/tryon", TRYON_BODY);
    const { job_id, model_id } = submit.body;
    expect((await bob.poll(submit.body.poll_url)).status).toBe(200);
    const foreign = await alice.get(jobUrl(job_id, model_id));
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe("NOT_FOUND");
    // Forget bob: the same id is now unknown, and alice must see no difference.
    server.reset(bob.key);
    const unknown = await alice.get(jobUrl(job_id, model_id));
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe(foreign.text);
    expect(unknown.headers["content-type"]).toBe(foreign.headers["content-type"]);
  });

  it("lists and charges each key only for its own jobs", async () => {
    server.reset();
    const a = await alice.post("/vision", { image_url: "https://example.com/p.jpg" });
    const b = await bob.post("/tryon", TRYON_BODY);
    expect(server.jobs(alice.key).map((j) => j.job_id)).toEqual([a.body.job_id]);
    expect(server.jobs(bob.key).map((j) => j.job_id)).toEqual([b.body.job_id]);
    expect([a.body.credits_left, b.body.credits_left]).toEqual([998, 985]);
  });
});

describe("poll model_id", () => {
  it("accepts the short form and the fal-ai/ long form of the job's model", async () => {
    const { job_id } = (await alice.post("/tryon", TRYON_BODY)).body;
    expect((await alice.get(jobUrl(job_id, "image-apps-v2/virtual-try-on"))).status).toBe(200);
    const long = await alice.get(jobUrl(job_id, "fal-ai/image-apps-v2/virtual-try-on"));
    expect(long.status).toBe(200);
    expect(long.body.model_id).toBe("image-apps-v2/virtual-try-on");
  });

  it("answers a valid model that is not the job's with the unknown-id 404", async () => {
    const { job_id } = (await alice.post("/tryon", TRYON_BODY)).body;
    for (const other of ["flux-2-lora-gallery/virtual-tryon", "moondream2", "flux-pro"]) {
      const r = await alice.get(jobUrl(job_id, other));
      expect(r.status, other).toBe(404);
      expect(r.body.code).toBe("NOT_FOUND");
    }
  });

  it("answers an unknown model_id with 400 INVALID_MODEL", async () => {
    const { job_id } = (await alice.post("/tryon", TRYON_BODY)).body;
    const r = await alice.get(jobUrl(job_id, "no-such-model"));
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("INVALID_MODEL");
    expect(r.body.error).toContain("no-such-model");
  });

  it("answers a missing or empty model_id with 400 INVALID_REQUEST", async () => {
    const { job_id } = (await alice.post("/tryon", TRYON_BODY)).body;
    for (const url of [jobUrl(job_id, null), `/jobs/${job_id}?model_id=`]) {
      const r = await alice.get(url);
      expect(r.status, url).toBe(400);
      expect(r.body.code).toBe("INVALID_REQUEST");
      expect(r.body.error).toContain("model_id");
    }
  });

  it("checks the key before the job: no key is 401 even for a real job", async () => {
    const submit = await alice.post("/tryon", TRYON_BODY);
    const r = await alice.poll(submit.body.poll_url, { key: null });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ code: "UNAUTHORIZED", error: "Missing Authorization header" });
  });
});
