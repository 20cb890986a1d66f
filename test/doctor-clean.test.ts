import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MockServer } from "../src/server.js";
import { createMockServer } from "../src/server.js";
import { ApiRefusal, DocsClient, verifyingReceiver } from "./helpers/docs-client.js";
import { control, TRYON_BODY } from "./helpers/client.js";
import { WallScheduler } from "./helpers/wall-scheduler.js";

const KEY = "ae_test_goodclient01";
const SECRET = "whsec_docs_client";

/**
 * No false alarms: a client written the way the docs' examples are gets no
 * finding, on realistic timing, with its waits run on an injected wall clock
 * (the mock's virtual clock runs on the same clock, so jobs take their
 * realistic 10–30 s). It meets a 429, 502s while polling, a failed job, an
 * input error and a webhook, and the doctor's probe forges deliveries to it.
 */
describe("a client that follows the docs", () => {
  let server: MockServer;
  let clock: WallScheduler;
  let client: DocsClient;
  let receiver: Awaited<ReturnType<typeof verifyingReceiver>>;
  const webhookEvents = new Map<string, any>();
  const outcomes: Record<string, string> = {};

  beforeAll(async () => {
    clock = new WallScheduler(Date.now(), async () => {
      await server.webhooksSettled();
    });
    server = await createMockServer({ wallNow: () => clock.now, seed: 31, logLevel: "silent" });
    client = new DocsClient(server.baseUrl, KEY, clock);
    receiver = await verifyingReceiver(SECRET, clock, (event) => void webhookEvents.set(event.request_id, event));
    // The doctor's optional probe: one 429 (Retry-After: 60) for this key's next submit.
    expect((await control(server, "POST", "/doctor/probe", { webhooks: false, rate_limit_key: KEY })).status).toBe(200);

    /** Starts a flow after `offsetS` seconds, as jobs arrive one after another. */
    const later = (offsetS: number, name: string, flow: () => Promise<string>) => async () => {
      await clock.sleep(offsetS * 1000);
      outcomes[name] = await flow();
    };
    await clock.run([
      later(0, "try-on", async () => (await client.run("/tryon", TRYON_BODY)).status),
      later(0, "bad input", async () => {
        try {
          await client.submit("/vision", { model_id: "llava-next", image_url: "https://example.com/p.jpg" });
          return "accepted?";
        } catch (e) {
          return e instanceof ApiRefusal ? e.answer.body.code : String(e);
        }
      }),
      later(5, "caption", async () => (await client.run("/vision", { model_id: "moondream3-preview/caption", image_url: "https://example.com/photo.jpg" })).status),
      later(10, "detection", async () => (await client.run("/vision", { model_id: "florence-2-large/object-detection", image_url: "https://example.com/street.jpg" })).status),
      later(20, "status errors", async () => (await client.run("/tryon", { ...TRYON_BODY, garment_type: "bottom" }, { "X-Mock-Scenario": "status_error" })).status),
      later(40, "failed job", async () => (await client.run("/tryon", { ...TRYON_BODY, garment_type: "hat" }, { "X-Mock-Scenario": "job_failed" })).status),
      later(60, "vision every 2 s", async () => {
        // The docs' pollVisionJob: a fixed 2 s between polls.
        const job = await client.submit("/vision", { model_id: "llava-next", image_url: "https://example.com/p.jpg", prompt: "What is in this image?" });
        return (await client.poll(job.poll_url, 2000, 1)).status;
      }),
      later(80, "webhook", async () => {
        const job = await client.submit("/generate", { prompt: "a linen dress", webhook_url: receiver.url, webhook_secret: SECRET });
        for (let waited = 0; !webhookEvents.has(job.job_id); waited += 5000) {
          if (waited > 120_000) return "no webhook";
          await clock.sleep(5000);
        }
        const event = webhookEvents.get(job.job_id);
        for (const url of event.result.images) await client.download(url);
        return event.status;
      }),
    ]);
  });

  afterAll(async () => {
    await receiver?.close();
    await server?.close();
  });

  it("met everything it was meant to meet, and finished every job", () => {
    expect(outcomes).toEqual({
      "try-on": "completed", "bad input": "MISSING_FIELD", caption: "completed", detection: "completed",
      "status errors": "completed", "failed job": "failed", "vision every 2 s": "completed", webhook: "completed",
    });
    expect(client.seen.filter((s) => s.endsWith("→ 429"))).toHaveLength(1);
    expect(client.seen.filter((s) => s.endsWith("→ 502")).length).toBeGreaterThanOrEqual(3);
    expect(receiver.accepted).toHaveLength(1);
  });

  it("gets no finding from the doctor", async () => {
    const { body } = await control(server, "GET", "/doctor");
    expect(body.findings).toEqual([]);
    expect(body.verdict).toMatch(/^No findings: the client follows the docs' rules in the \d+ requests seen\.$/);
  });

  it("rejects every forgery the probe sends, and still gets no finding", async () => {
    const probe = await control(server, "POST", "/doctor/probe", {});
    expect(probe.body.receivers).toMatchObject([{ url: receiver.url, verdict: "rejects forgeries" }]);
    expect(receiver.rejected.sort()).toEqual(["signature_mismatch", "signature_mismatch", "timestamp_out_of_tolerance"]);
    expect((await control(server, "GET", "/doctor")).body.findings).toEqual([]);
  });

  it("gets no finding once every job has expired either", async () => {
    server.advance(25 * 3600_000);
    const { body } = await control(server, "GET", "/doctor");
    expect(body.findings).toEqual([]);
    expect(body.seen.jobs).toBe(0);
  });
});
