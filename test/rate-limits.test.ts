import { afterEach, describe, expect, it } from "vitest";
import { control, startMock, TRYON_BODY, TestClient } from "./helpers/client.js";
import type { MockServer } from "../src/server.js";

let server: MockServer;
let api: TestClient;
afterEach(() => server?.close());

const VISION_BODY = { model_id: "moondream2", image_url: "https://example.com/p.jpg" };
const balanceOf = async (key: string) => (await control(server, "GET", `/accounts/${key}`)).body.credits as number;

async function start(options = {}) {
  ({ server, api } = await startMock({ seed: 3, ...options }));
  server.freeze();
}

async function submitTimes(n: number, path: string, body: unknown) {
  for (let i = 0; i < n; i++) expect((await api.post(path, body)).status, `submit ${i + 1}`).toBe(202);
}

function expectRateLimited(r: { status: number; headers: Record<string, string>; body: any }, limit: number, retryAfter: number) {
  expect(r.status).toBe(429);
  expect(r.body).toEqual({ code: "RATE_LIMIT_EXCEEDED", error: `Rate limit exceeded. Max ${limit} requests per minute.` });
  expect(r.headers["retry-after"]).toBe(String(retryAfter));
}

describe("rate limits per key, over a sliding minute of virtual time", () => {
  it("refuses the 11th try-on submit with Retry-After, charges nothing, and accepts it once the window has passed", async () => {
    await start();
    await submitTimes(10, "/tryon", TRYON_BODY);
    server.advance(20_000);
    const before = await balanceOf(api.key);
    const refused = await api.post("/tryon", TRYON_BODY);
    expectRateLimited(refused, 10, 40);
    expect(await balanceOf(api.key)).toBe(before);
    expect(server.jobs(api.key)).toHaveLength(10);
    // Retry-After is exact: one ms short of it is still too early.
    server.advance(39_999);
    expectRateLimited(await api.post("/tryon", TRYON_BODY), 10, 1);
    server.advance(1);
    const accepted = await api.post("/tryon", TRYON_BODY);
    expect(accepted.status).toBe(202);
    expect(accepted.body.credits_left).toBe(before - 15);
  });

  it("refuses the 21st vision submit and the 11th generate submit, each in its own bucket", async () => {
    await start();
    await submitTimes(20, "/vision", VISION_BODY);
    expectRateLimited(await api.post("/vision", VISION_BODY), 20, 60);
    await submitTimes(10, "/generate", { prompt: "a scarf" });
    expectRateLimited(await api.post("/generate", { prompt: "a scarf" }), 10, 60);
    // Vision and generate quotas do not touch try-on's.
    await submitTimes(10, "/tryon", TRYON_BODY);
  });

  it("refuses the 121st poll within a minute, whatever the job, and allows polls again after it", async () => {
    await start();
    const a = await api.post("/tryon", TRYON_BODY);
    const b = await api.post("/vision", VISION_BODY);
    for (let i = 0; i < 120; i++) expect((await api.poll((i % 2 ? a : b).body.poll_url)).status, `poll ${i + 1}`).toBe(200);
    expectRateLimited(await api.poll(a.body.poll_url), 120, 60);
    expectRateLimited(await api.poll(b.body.poll_url), 120, 60);
    // Polls have their own bucket: submits still go through.
    expect((await api.post("/vision", VISION_BODY)).status).toBe(202);
    server.advance(60_000);
    expect((await api.poll(a.body.poll_url)).status).toBe(200);
  });

  it("does not count rejected requests (400, 402, 404) toward a limit", async () => {
    await start();
    for (let i = 0; i < 15; i++) {
      expect((await api.post("/tryon", { ...TRYON_BODY, person_image_url: "http://example.com/p.jpg" })).status).toBe(400);
      expect((await api.post("/tryon", { ...TRYON_BODY, model_id: "no-such-model" })).status).toBe(400);
    }
    server.setAccount(api.key, 0);
    for (let i = 0; i < 15; i++) expect((await api.post("/tryon", TRYON_BODY)).status).toBe(402);
    server.setAccount(api.key, 1000);
    await submitTimes(10, "/tryon", TRYON_BODY);
    expect((await api.post("/tryon", TRYON_BODY)).status).toBe(429);
  });

  it("does not count 404 polls toward the poll limit", async () => {
    await start();
    const job = await api.post("/tryon", TRYON_BODY);
    const unknown = job.body.poll_url.replace(job.body.job_id, "00000000-0000-4000-8000-000000000000");
    for (let i = 0; i < 121; i++) expect((await api.poll(unknown)).status).toBe(404);
    for (let i = 0; i < 120; i++) expect((await api.poll(job.body.poll_url)).status).toBe(200);
    expect((await api.poll(job.body.poll_url)).status).toBe(429);
  });

  it("does not count a 429 toward the limit", async () => {
    await start();
    await submitTimes(10, "/tryon", TRYON_BODY);
    server.advance(30_000);
    for (let i = 0; i < 5; i++) expect((await api.post("/tryon", TRYON_BODY)).status).toBe(429);
    // The ten accepted submits leave the window together; the 429s left nothing behind.
    server.advance(30_000);
    await submitTimes(10, "/tryon", TRYON_BODY);
  });

  it("keeps each key's quota separate", async () => {
    await start();
    const other = new TestClient(server, "ae_test_otherkey0002");
    await submitTimes(10, "/tryon", TRYON_BODY);
    expect((await api.post("/tryon", TRYON_BODY)).status).toBe(429);
    expect((await other.post("/tryon", TRYON_BODY)).status).toBe(202);
  });

  it("can be switched off for load tests", async () => {
    await start({ rateLimits: false });
    await submitTimes(25, "/tryon", TRYON_BODY);
  });
});
