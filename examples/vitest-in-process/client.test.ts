import { createMockServer, createWebhookReceiver, verifyWebhook, type MockServer } from "artemotion-mock";
import type { WebhookEvent } from "artemotion-mock/api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ArtEmotionError, createClient } from "./client.js";

const KEY = "ae_test_example01";
const PERSON = "https://example.com/person.jpg";
const GARMENT = "https://example.com/tshirt.jpg";

let mock: MockServer;
beforeEach(async () => {
  // A fresh mock per test on 127.0.0.1, port 0; its clock frozen, so only the client's waits move time.
  mock = await createMockServer({ seed: 7 });
  mock.freeze();
});
afterEach(() => mock.close());

const client = () =>
  createClient({
    baseUrl: mock.baseUrl,
    apiKey: KEY,
    wait: async (ms) => {
      mock.advance(ms);
    },
  });

describe("the client against an in-process mock", () => {
  it("polls a try-on to completion on the virtual clock and gets a result image it can download", async () => {
    const ae = client();
    const start = mock.clock().now_ms;
    const job = await ae.tryon({ person_image_url: PERSON, garment_image_url: GARMENT, garment_type: "top" });
    expect(job).toMatchObject({ status: "queued", credits_used: 15 });

    const done = await ae.result(job.poll_url);
    if (!("images" in done)) throw new Error("a try-on completes with images");
    expect(mock.clock().now_ms - start).toBeGreaterThanOrEqual(10_000); // the docs' 10–30 s, waited virtually
    const png = await fetch(done.images[0]!);
    expect(png.headers.get("content-type")).toBe("image/png");
    expect(mock.getAccount(KEY).credits).toBe(985);
  });

  it("reports a failed job with the backend's reason when job_failed is armed", async () => {
    mock.armScenario("job_failed", KEY);
    const ae = client();
    const job = await ae.vision({ image_url: PERSON, model_id: "moondream3-preview/caption" });
    await expect(ae.result(job.poll_url)).rejects.toThrow(/^Job .+ failed: .+/);
  });

  it("throws the documented code, and nothing is charged, when insufficient_credits is armed", async () => {
    mock.armScenario("insufficient_credits", KEY);
    const ae = client();
    const err = await ae.tryon({ person_image_url: PERSON, garment_image_url: GARMENT }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtEmotionError);
    expect(err).toMatchObject({ status: 402, code: "INSUFFICIENT_CREDITS" });
    expect(mock.getAccount(KEY).credits).toBe(1000);
  });

  it("receives the signed job.completed webhook, which verifyWebhook accepts and a tampered copy fails", async () => {
    const secret = "whsec_example_secret";
    const receiver = await createWebhookReceiver({ secret });
    try {
      const job = await client().vision({ image_url: PERSON, model_id: "moondream3-preview/caption", webhook_url: receiver.url, webhook_secret: secret });
      mock.advance(60_000);
      const delivery = await receiver.waitFor((d) => (d.body as WebhookEvent).request_id === job.job_id);
      const event = delivery.body as WebhookEvent;
      expect(event).toMatchObject({ status: "completed", kind: "vision" });
      expect(verifyWebhook(delivery.rawBody, delivery.headers, secret)).toMatchObject({ ok: true, event: "job.completed" });
      expect(verifyWebhook(delivery.rawBody.replace('"completed"', '"failed"'), delivery.headers, secret)).toMatchObject({ ok: false, reason: "signature_mismatch" });
    } finally {
      await receiver.close();
    }
  });
});
