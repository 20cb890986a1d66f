import { afterEach, describe, expect, it } from "vitest";
import type { MockOptions } from "../src/options.js";
import type { MockServer } from "../src/server.js";
import { createWebhookReceiver, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { control, startMock, TestClient } from "./helpers/client.js";

const SECRET = "whsec_phase_faults";
let server: MockServer | undefined;
let receiver: WebhookReceiver | undefined;

afterEach(async () => {
  await receiver?.close();
  await server?.close();
  server = receiver = undefined;
});

/** A mock with a frozen clock and a loopback receiver. */
async function setup(options: Partial<MockOptions> = {}): Promise<{ api: TestClient; url: string }> {
  receiver = await createWebhookReceiver({ secret: SECRET });
  const started = await startMock({ seed: 9, timing: "realistic", ...options });
  server = started.server;
  server.freeze();
  return { api: started.api, url: receiver.url };
}

const GENERATE = (url: string) => ({ prompt: "a coat", webhook_url: url, webhook_secret: SECRET });

/** Advances to the job's terminal moment and lets the deliveries started by then settle. */
async function finish(jobId: string): Promise<void> {
  const job = server!.jobs().find((j) => j.job_id === jobId)!;
  server!.advance(Math.max(0, Date.parse(job.finished_at) - server!.clock().now_ms));
  await server!.webhooksSettled();
}

describe("webhook-phase faults", () => {
  it("webhook_delay sends the webhook late by the given virtual time, and not before", async () => {
    const { api, url } = await setup();
    const job = (await api.post("/generate", GENERATE(url), { headers: { "X-Mock-Fault": "webhook_delay; ms=60000" } })).body;
    await finish(job.job_id);
    expect(server!.webhooks(job.job_id)).toEqual([]);
    server!.advance(59_999);
    await server!.webhooksSettled();
    expect(receiver!.deliveries).toHaveLength(0);
    server!.advance(1);
    await server!.webhooksSettled();
    expect(receiver!.deliveries).toHaveLength(1);
    expect(receiver!.deliveries[0]!.verification).toMatchObject({ ok: true });
    expect(server!.webhooks(job.job_id)).toMatchObject([{ outcome: "delivered", fault: "webhook_delay" }]);
  });

  it("webhook_timeout (here from a magic image host) records a timeout after the deadline and never reaches the receiver", async () => {
    const { api, url } = await setup({ webhookTimeoutMs: 150 });
    const body = { model_id: "moondream2", image_url: "https://webhook-timeout.fault.test/p.jpg", webhook_url: url, webhook_secret: SECRET };
    const job = (await api.post("/vision", body)).body;
    await finish(job.job_id);
    expect(server!.webhooks(job.job_id)).toMatchObject([{ outcome: "timeout", fault: "webhook_timeout", durationMs: 150, error: expect.stringContaining("never sent") }]);
    expect(receiver!.deliveries).toHaveLength(0);
  });

  it("webhook_duplicate delivers the same bytes and signature twice", async () => {
    const { api, url } = await setup();
    const job = (await api.post("/generate", GENERATE(url), { headers: { "X-Mock-Fault": "webhook_duplicate" } })).body;
    await finish(job.job_id);
    await receiver!.waitFor(() => receiver!.deliveries.length === 2, 5_000);
    const [a, b] = receiver!.deliveries;
    expect(b!.rawBody).toBe(a!.rawBody);
    expect(b!.headers["x-artemotion-signature"]).toBe(a!.headers["x-artemotion-signature"]);
    expect([a!.verification?.ok, b!.verification?.ok]).toEqual([true, true]);
    expect(server!.webhooks(job.job_id).map((d) => [d.outcome, d.fault])).toEqual([["delivered", "webhook_duplicate"], ["delivered", "webhook_duplicate"]]);
  });

  it("armed for the webhook phase, applies to the key's next delivery only, and is counted", async () => {
    const { api, url } = await setup();
    await control(server!, "POST", "/scenarios", { fault: "webhook_duplicate", key: api.key });
    const first = (await api.post("/generate", GENERATE(url))).body;
    const second = (await api.post("/generate", GENERATE(url))).body;
    await finish(first.job_id);
    await finish(second.job_id);
    await receiver!.waitFor(() => receiver!.deliveries.length === 3, 5_000);
    const counts = server!.webhooks().reduce<Record<string, number>>((m, d) => ((m[d.jobId] = (m[d.jobId] ?? 0) + 1), m), {});
    expect([counts[first.job_id], counts[second.job_id]].sort()).toEqual([1, 2]);
    const report = await server!.faults();
    expect(report.counts).toEqual([{ fault: "webhook_duplicate", phase: "webhook", key: api.key, count: 1 }]);
    expect(report.log.filter((e) => e.source === "webhook")).toHaveLength(2);
  });

  it("chaos degraded-upstream at rate 1 breaks every submit's job and times out every webhook", async () => {
    const { api, url } = await setup({ chaos: 1, chaosProfile: "degraded-upstream", webhookTimeoutMs: 100 });
    const submitted = [];
    for (let i = 0; i < 6; i++) submitted.push(await api.post("/generate", GENERATE(url)));
    for (const r of submitted) {
      expect(r.status).toBe(202);
      expect(["job_failed", "stuck", "slow_queue"]).toContain(r.headers["x-mock-fault"]);
    }
    server!.advance(15 * 60_000);
    await server!.webhooksSettled();
    expect(server!.webhooks().map((d) => d.outcome)).toEqual(Array(6).fill("timeout"));
    expect(receiver!.deliveries).toHaveLength(0);
    const names = new Set(server!.jobs().map((j) => j.scenario));
    expect(names.size).toBeGreaterThan(1);
  });
});

describe("webhook-phase faults across the clock, resets and shutdown", () => {
  it("webhook_delay goes out when one advance passes both the job's end and the delay", async () => {
    const { api, url } = await setup();
    const job = (await api.post("/generate", GENERATE(url), { headers: { "X-Mock-Fault": "webhook_delay; ms=5000" } })).body;
    server!.advance(10 * 60_000);
    await server!.webhooksSettled();
    expect(receiver!.deliveries).toHaveLength(1);
    expect(server!.webhooks(job.job_id)).toMatchObject([{ outcome: "delivered", fault: "webhook_delay" }]);
  });

  it("lists a delayed webhook in the schedule, and advancing to the next event sends it", async () => {
    const { api, url } = await setup();
    const job = (await api.post("/generate", GENERATE(url), { headers: { "X-Mock-Fault": "webhook_delay; ms=60000" } })).body;
    await finish(job.job_id);
    const finishedAt = Date.parse(server!.jobs().find((j) => j.job_id === job.job_id)!.finished_at);
    const { body: schedule } = await control(server!, "GET", "/schedule");
    expect(schedule.events.filter((e: { type: string }) => e.type === "webhook")).toMatchObject([{ job_id: job.job_id, at_ms: finishedAt + 60_000 }]);
    expect((await control(server!, "POST", "/clock/advance", { to: "next" })).body.now_ms).toBe(finishedAt + 60_000);
    await server!.webhooksSettled();
    expect(receiver!.deliveries).toHaveLength(1);
  });

  it("forgets a delayed webhook at a reset: nothing is sent for a job the mock no longer knows", async () => {
    const { api, url } = await setup();
    const job = (await api.post("/generate", GENERATE(url), { headers: { "X-Mock-Fault": "webhook_delay; ms=30000" } })).body;
    await finish(job.job_id);
    server!.reset();
    server!.advance(60_000);
    await server!.webhooksSettled();
    expect(receiver!.deliveries).toHaveLength(0);
    expect(server!.webhooks()).toEqual([]);
  });

  it("sends no second copy of a webhook_duplicate once shutdown has cut the first", async () => {
    receiver = await createWebhookReceiver({ respond: () => "hang" });
    const started = await startMock({ seed: 9, timing: "instant", webhookTimeoutMs: 300 });
    server = started.server;
    await started.api.post("/generate", GENERATE(receiver.url), { headers: { "X-Mock-Fault": "webhook_duplicate" } });
    await receiver.waitFor(() => receiver!.deliveries.length === 1, 5_000);
    const { dispatcher, store } = server.mock.runtime;
    await server.close();
    await dispatcher.settled();
    expect(receiver.deliveries).toHaveLength(1);
    expect(store.deliveries({}) as unknown[]).toHaveLength(1);
  });
});
