import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/index.js";
import { createWebhookReceiver, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { control, TRYON_BODY, TestClient } from "./helpers/client.js";

const KEY = "ae_test_instancekey1";

describe("two createMockServer instances in one process", () => {
  let one: MockServer;
  let two: MockServer;
  // The same seed on purpose: both mint the same job ids, so any shared store would show.
  beforeAll(async () => ([one, two] = await Promise.all([createMockServer({ seed: 3 }), createMockServer({ seed: 3 })])));
  afterAll(() => Promise.all([one.close(), two.close()]));

  it("listen on different loopback ports", () => {
    expect(one.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    expect(one.port).not.toBe(two.port);
  });

  it("do not see each other's keys", async () => {
    one.setAccount(KEY, 40);
    expect(one.getAccount(KEY).credits).toBe(40);
    expect(two.getAccount(KEY)).toMatchObject({ credits: 1000, provisioned: false });
    expect((await new TestClient(two, KEY).post("/tryon", TRYON_BODY)).body.credits_left).toBe(985);
    one.deleteAccount(KEY);
    expect((await new TestClient(two, KEY).post("/tryon", TRYON_BODY)).status).toBe(202);
    expect((await new TestClient(one, KEY).post("/tryon", TRYON_BODY)).status).toBe(401);
  });

  it("do not see each other's jobs", async () => {
    const key = "ae_test_instancejobs";
    const submitted = await new TestClient(one, key).post("/tryon", TRYON_BODY);
    expect(one.jobs(key).map((j) => j.job_id)).toEqual([submitted.body.job_id]);
    expect(two.jobs(key)).toEqual([]);
    const foreignPoll = submitted.body.poll_url.replace(one.origin, two.origin);
    expect((await new TestClient(two, key).poll(foreignPoll)).status).toBe(404);
  });

  it("do not share clocks", async () => {
    one.freeze();
    two.freeze();
    // Each clock is compared with itself: the two froze a millisecond or so apart.
    const before = two.clock().now_ms;
    const oneBefore = one.clock().now_ms;
    one.advance(3_600_000);
    expect(two.clock()).toEqual({ now: new Date(before).toISOString(), now_ms: before, frozen: true });
    expect(one.clock().now_ms).toBe(oneBefore + 3_600_000);
    two.resume();
    expect([one.clock().frozen, two.clock().frozen]).toEqual([true, false]);
  });

  it("do not share armed scenarios or journals", async () => {
    one.armScenario("image_fetch_403", null, 1);
    expect(two.listScenarios()).toEqual([]);
    await new TestClient(one).get("/models");
    expect(one.requests(1).requests[0]!.path).toBe("/api/v1/models");
    expect(two.requests(1000).requests.some((r) => r.path === "/api/v1/models")).toBe(false);
    one.disarm();
  });
});

describe("a realistic try-on on a frozen clock", () => {
  let mock: MockServer;
  let receiver: WebhookReceiver;
  const SECRET = "whsec_instances";
  beforeAll(async () => {
    [mock, receiver] = await Promise.all([createMockServer({ timing: "realistic", seed: 42 }), createWebhookReceiver({ secret: SECRET })]);
  });
  afterAll(() => Promise.all([mock.close(), receiver.close()]));

  it("stays queued, then completes and sends its webhook within the one advance(40 s) call", async () => {
    const api = new TestClient(mock);
    mock.freeze();
    const job = (await api.post("/tryon", { ...TRYON_BODY, webhook_url: receiver.url, webhook_secret: SECRET })).body;
    mock.advance(1_000);
    expect((await api.poll(job.poll_url)).body.status).toBe("queued");
    expect(mock.webhooks(job.job_id)).toEqual([]);

    mock.advance(40_000);
    // No await between advance() and these: the delivery was recorded by advance itself.
    expect(mock.jobs()[0]!.status).toBe("completed");
    expect(mock.webhooks(job.job_id)).toMatchObject([{ jobId: job.job_id, event: "job.completed", url: receiver.url }]);

    const got = await receiver.waitFor((d) => (d.body as { request_id?: string }).request_id === job.job_id);
    expect(got.verification).toMatchObject({ ok: true, event: "job.completed" });
    expect(got.body).toMatchObject({ status: "completed", result: { images: [expect.stringContaining(job.job_id)] } });
    expect((await api.poll(job.poll_url)).body.status).toBe("completed");
  });

  it("does the same through POST /__mock/clock/advance: the delivery exists when the call answers", async () => {
    const api = new TestClient(mock, "ae_test_instancehttp1");
    const job = (await api.post("/tryon", { ...TRYON_BODY, webhook_url: receiver.url, webhook_secret: SECRET })).body;
    expect((await api.poll(job.poll_url)).body.status).toBe("queued");
    expect((await control(mock, "POST", "/clock/advance", { ms: 40_000 })).status).toBe(200);
    const listed = (await control(mock, "GET", `/webhooks?job_id=${job.job_id}`)).body.deliveries;
    expect(listed).toHaveLength(1);
    await receiver.waitFor((d) => (d.body as { request_id?: string }).request_id === job.job_id);
  });
});
