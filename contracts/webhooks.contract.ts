import { afterAll, beforeAll, describe, expect } from "vitest";
import { createWebhookReceiver } from "../src/webhooks/receiver.js";
import { verifyWebhook } from "../src/webhooks/signature.js";
import { sharedValidators } from "../src/spec/validators.js";
import { mockControl } from "./support/client.js";
import { noteWebhook, pollToTerminal, submit } from "./support/jobs.js";
import { recordWebhook } from "./support/recorder.js";
import { mockOnly } from "./support/tests.js";

/** The runner picks a fresh secret per run (so a recording's scan knows what to look for). */
const SECRET = process.env.AE_CONTRACT_WEBHOOK_SECRET || "whsec_contract_suite";
type Receiver = Awaited<ReturnType<typeof createWebhookReceiver>>;

describe("signed webhooks", () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await createWebhookReceiver({
      secret: SECRET,
      respond: (d) => {
        recordWebhook({ ...d, verification: d.verification && { ok: d.verification.ok, reason: d.verification.ok ? undefined : d.verification.reason } });
        return { status: 200, headers: { "content-type": "application/json" }, body: '{"ok":true}' };
      },
    });
  });
  afterAll(() => receiver?.close());

  const deliveriesFor = (jobId: string) => receiver.deliveries.filter((d) => (d.body as { request_id?: string } | null)?.request_id === jobId);

  for (const [scenario, event] of [[null, "job.completed"], ["job_failed", "job.failed"]] as const) {
    mockOnly(`a ${event} delivery is signed, matches the webhooks schema and the poll result, and arrives once`, [`webhook ${event}`], async ({ api }) => {
      const headers = scenario ? { "X-Mock-Scenario": scenario } : undefined;
      const res = await submit(api, "/vision", { image_url: "https://example.com/p.jpg", webhook_url: receiver.url, webhook_secret: SECRET }, headers);
      const { final } = await pollToTerminal(api, res.body.poll_url);
      const delivery = await receiver.waitFor((d) => (d.body as { request_id?: string }).request_id === res.body.job_id, 10_000);
      expect(delivery.verification?.ok, `signature: ${JSON.stringify(delivery.verification)}`).toBe(true);
      const check = sharedValidators().checkWebhook(delivery.headers, delivery.body);
      expect(check.errors).toEqual([]);
      expect(delivery.headers["x-artemotion-event"]).toBe(event);
      noteWebhook(event);
      const body = delivery.body as { status: string; result: unknown };
      expect(body.status).toBe(final.body.status);
      if (final.body.status === "completed") expect(body.result).toEqual(final.body.result);
      const tampered = verifyWebhook(delivery.rawBody.replace(/"status":"\w+"/, '"status":"forged"'), delivery.headers, SECRET);
      expect(tampered.ok).toBe(false);
      await mockControl(api.cfg, "POST", "/clock/advance", { ms: 60_000 });
      await api.call("GET", res.body.poll_url);
      expect(deliveriesFor(res.body.job_id)).toHaveLength(1);
    });
  }

  mockOnly("a redelivery with a tampered signature fails verification", [], async ({ api }) => {
    const res = await submit(api, "/vision", { image_url: "https://example.com/p.jpg", webhook_url: receiver.url, webhook_secret: SECRET });
    await pollToTerminal(api, res.body.poll_url);
    await receiver.waitFor((d) => (d.body as { request_id?: string }).request_id === res.body.job_id, 10_000);
    const { deliveries } = await mockControl(api.cfg, "GET", `/webhooks?job_id=${res.body.job_id}`);
    await mockControl(api.cfg, "POST", `/webhooks/${deliveries[0].id}/redeliver`, { tamper: "signature" });
    const forged = await receiver.waitFor((d) => (d.body as { request_id?: string }).request_id === res.body.job_id && d !== deliveriesFor(res.body.job_id)[0], 10_000);
    expect(forged.verification?.ok).toBe(false);
  });
});
