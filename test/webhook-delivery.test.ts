import { createHmac } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startMock, TRYON_BODY, type TestClient } from "./helpers/client.js";
import type { MockServer } from "../src/server.js";
import { sharedValidators } from "../src/spec/validators.js";
import { createWebhookReceiver, type ReceivedDelivery, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { verifyWebhook } from "../src/webhooks/signature.js";

const SECRET = "whsec_delivery_test";
const HOURS_3 = 3 * 3600_000;
const finishedAt = (server: MockServer, jobId: string) => Date.parse(server.jobs().find((j) => j.job_id === jobId)!.finished_at);

describe("a signed vision webhook, delivered after the virtual clock jumped 3 hours", () => {
  let server: MockServer, api: TestClient, receiver: WebhookReceiver;
  let jobId: string, pollUrl: string, d: ReceivedDelivery, ts: string;

  beforeAll(async () => {
    ({ server, api } = await startMock({ seed: 7 }));
    receiver = await createWebhookReceiver({ secret: SECRET });
    server.freeze();
    const submit = await api.post("/vision", {
      model_id: "florence-2-large/object-detection", image_url: "https://example.com/p.jpg", webhook_url: receiver.url, webhook_secret: SECRET,
    });
    expect(submit.status).toBe(202);
    ({ job_id: jobId, poll_url: pollUrl } = submit.body);
    server.advance(HOURS_3); // nobody polls before the delivery
    d = await receiver.waitFor();
    await server.webhooksSettled();
    ts = d.headers["x-artemotion-timestamp"] as string;
  });
  afterAll(async () => {
    await receiver.close();
    await server.close();
  });

  it("is sent exactly once, acknowledged, with the documented headers", () => {
    expect(receiver.deliveries).toHaveLength(1);
    expect(server.webhooks(jobId)).toMatchObject([{ outcome: "delivered", responseStatus: 200, event: "job.completed", url: receiver.url }]);
    expect(d.method).toBe("POST");
    expect(d.headers["content-type"]).toBe("application/json");
    expect(d.headers["user-agent"]).toBe("ArtEmotion-Webhooks/1.0");
    expect(d.headers["x-artemotion-event"]).toBe("job.completed");
  });

  it("stamps X-ArtEmotion-Timestamp with the wall clock, not the advanced virtual clock", () => {
    expect(ts).toMatch(/^\d+$/);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    expect(server.clock().now_ms / 1000 - Number(ts)).toBeGreaterThan(2 * 3600);
  });

  it("signs v1=HMAC-SHA256(secret, `${timestamp}.${rawBody}`), reproducible with node:crypto", () => {
    const hex = createHmac("sha256", SECRET).update(`${ts}.${d.rawBody}`).digest("hex");
    expect(d.headers["x-artemotion-signature"]).toBe(`v1=${hex}`);
    expect(d.verification).toEqual({ ok: true, event: "job.completed", timestamp: Number(ts) });
  });

  it("passes verifyWebhook, which rejects every forgery and skew without throwing", () => {
    const headers = { ...d.headers };
    const without = (name: string) => Object.fromEntries(Object.entries(headers).filter(([k]) => k !== name));
    const now = Number(ts);
    expect(verifyWebhook(d.rawBody, headers, SECRET, { now })).toEqual({ ok: true, event: "job.completed", timestamp: now });
    expect(verifyWebhook(Buffer.from(d.rawBody), headers, SECRET, { now: now + 300 }).ok).toBe(true);
    const reject = (body: string, h: Record<string, unknown>, secret: string, at: number) =>
      (verifyWebhook(body, h as Record<string, string>, secret, { now: at }) as { ok: false; reason: string }).reason;
    expect(reject(d.rawBody.replace('"completed"', '"failed"'), headers, SECRET, now)).toBe("signature_mismatch");
    expect(reject(d.rawBody, headers, "whsec_wrong", now)).toBe("signature_mismatch");
    expect(reject(d.rawBody, headers, SECRET, now + 301)).toBe("timestamp_out_of_tolerance"); // 301 s old
    expect(reject(d.rawBody, headers, SECRET, now - 301)).toBe("timestamp_out_of_tolerance"); // 301 s in the future
    expect(reject(d.rawBody, without("x-artemotion-signature"), SECRET, now)).toBe("missing_signature");
    expect(reject(d.rawBody, without("x-artemotion-timestamp"), SECRET, now)).toBe("missing_timestamp");
    const short = (headers["x-artemotion-signature"] as string).slice(0, -2);
    expect(reject(d.rawBody, { ...headers, "x-artemotion-signature": short }, SECRET, now)).toBe("bad_signature_format");
  });

  it("has a body that matches the spec's webhooks schema, the poll, and the event's virtual time", async () => {
    expect(sharedValidators().checkWebhook(d.headers, d.body).errors).toEqual([]);
    const poll = await api.poll(pollUrl);
    expect(poll.body.status).toBe("completed");
    expect(d.body).toEqual({
      request_id: jobId, model_id: "florence-2-large/object-detection", kind: "vision", status: "completed",
      timestamp: Math.floor(finishedAt(server, jobId) / 1000), result: poll.body.result,
    });
    expect(poll.body.result.objects.length).toBeGreaterThan(0);
  });
});

describe("webhooks along the job lifecycle", () => {
  let server: MockServer, api: TestClient, receiver: WebhookReceiver;
  beforeAll(async () => (receiver = await createWebhookReceiver()));
  afterAll(() => receiver.close());
  afterEach(() => server.close());
  const bodyOf = (d: ReceivedDelivery) => d.body as Record<string, any>;
  const forJob = (id: string) => (d: ReceivedDelivery) => bodyOf(d).request_id === id;

  it.each([
    ["/tryon", { ...TRYON_BODY }, "image-apps-v2/virtual-try-on", 2],
    ["/generate", { prompt: "a red linen dress" }, "flux-pro", 3],
  ])("%s starts its unsigned kind:image delivery within server.advance(40_000) and matches the poll", async (path, body, model, seed) => {
    ({ server, api } = await startMock({ seed })); // distinct seeds: seeded job ids must not collide in the shared receiver
    server.freeze();
    const submit = await api.post(path, { ...body, webhook_url: receiver.url });
    server.advance(40_000);
    expect(server.webhooks(submit.body.job_id)).toHaveLength(1); // started inside advance, before any await
    const d = await receiver.waitFor(forJob(submit.body.job_id));
    expect(d.headers["x-artemotion-signature"]).toBeUndefined();
    expect(sharedValidators().checkWebhook(d.headers, d.body).errors).toEqual([]);
    const poll = await api.poll(submit.body.poll_url);
    expect(bodyOf(d)).toEqual({
      request_id: submit.body.job_id, model_id: model, kind: "image", status: "completed",
      timestamp: Math.floor(finishedAt(server, submit.body.job_id) / 1000), result: { images: poll.body.images },
    });
  });

  it("sends job.failed with a null result and the poll's error and logs for a failed job", async () => {
    ({ server, api } = await startMock({ seed: 4 }));
    server.freeze();
    const submit = await api.post("/tryon", { ...TRYON_BODY, webhook_url: receiver.url }, { headers: { "X-Mock-Scenario": "job_failed" } });
    server.advance(40_000);
    const d = await receiver.waitFor(forJob(submit.body.job_id));
    expect(d.headers["x-artemotion-event"]).toBe("job.failed");
    expect(sharedValidators().checkWebhook(d.headers, d.body).errors).toEqual([]);
    const poll = await api.poll(submit.body.poll_url);
    expect(poll.body.status).toBe("failed");
    expect(bodyOf(d)).toMatchObject({ kind: "image", status: "failed", result: null, error: poll.body.error, logs: poll.body.logs });
    expect(server.webhooks(submit.body.job_id)).toMatchObject([{ event: "job.failed" }]);
  });

  it("delivers nothing for a job without webhook_url and nothing more when a finished job is polled again", async () => {
    ({ server, api } = await startMock({ seed: 5 }));
    server.freeze();
    const silent = await api.post("/vision", { image_url: "https://example.com/p.jpg" });
    const hooked = await api.post("/vision", { image_url: "https://example.com/p.jpg", webhook_url: receiver.url });
    server.advance(10_000);
    await receiver.waitFor(forJob(hooked.body.job_id));
    for (let i = 0; i < 3; i++) {
      expect((await api.poll(hooked.body.poll_url)).body.status).toBe("completed");
      expect((await api.poll(silent.body.poll_url)).body.status).toBe("completed");
      server.advance(60_000);
    }
    await server.webhooksSettled();
    expect(server.webhooks().map((w) => w.jobId)).toEqual([hooked.body.job_id]);
    expect(receiver.deliveries.filter(forJob(hooked.body.job_id))).toHaveLength(1);
    expect(receiver.deliveries.filter(forJob(silent.body.job_id))).toHaveLength(0);
  });

  it("delivers a job nobody polls exactly when the frozen clock passes its completion", async () => {
    ({ server, api } = await startMock({ seed: 6 }));
    server.freeze();
    const submit = await api.post("/generate", { prompt: "a hat", webhook_url: receiver.url });
    const id = submit.body.job_id;
    server.advance(finishedAt(server, id) - server.clock().now_ms - 1);
    expect(server.webhooks(id)).toEqual([]);
    server.advance(1);
    expect(server.webhooks(id)).toHaveLength(1);
    await expect(receiver.waitFor(forJob(id))).resolves.toMatchObject({ body: { status: "completed" } });
  });

  it("delivers by itself on a running clock with fast timing, with no poll or clock call", async () => {
    ({ server, api } = await startMock({ timing: "fast" }));
    const submit = await api.post("/tryon", { ...TRYON_BODY, webhook_url: receiver.url });
    await expect(receiver.waitFor(forJob(submit.body.job_id), 5_000)).resolves.toMatchObject({ body: { status: "completed" } });
  });

  it("brings the pending delivery forward when the running clock is advanced to just before completion", async () => {
    ({ server, api } = await startMock({ seed: 8 })); // realistic: generate takes 7–20 s of virtual time
    const submit = await api.post("/generate", { prompt: "a scarf", webhook_url: receiver.url });
    const id = submit.body.job_id;
    server.advance(finishedAt(server, id) - server.clock().now_ms - 150);
    expect(server.webhooks(id)).toEqual([]);
    // Seconds before the job's original real-time completion: only a re-armed due timer can deliver it.
    await expect(receiver.waitFor(forJob(id), 3_000)).resolves.toMatchObject({ body: { status: "completed" } });
  });
});
