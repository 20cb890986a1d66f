/** A mock with a bit of everything, for the dashboard's accessibility check and its screenshots. */
import type { MockServer } from "../../src/server.js";
import { createWebhookReceiver, type WebhookReceiver } from "../../src/webhooks/receiver.js";
import { control, TestClient, TRYON_BODY } from "./client.js";

export const SEED_KEYS = ["ae_test_qa_alice_0001", "ae_test_qa_bob_00002", "ae_live_checkout_0003"] as const;
export const SEED_SECRET = "whsec_dashboard_seed";

/**
 * Jobs in every state, signed and unsigned webhooks (one redelivered with a
 * tampered signature), an armed scenario, a changed balance and a few error
 * answers in the journal. The clock is left frozen.
 */
export async function seedDashboard(server: MockServer, opts: { jobs?: number } = {}): Promise<WebhookReceiver> {
  const receiver = await createWebhookReceiver({ secret: SEED_SECRET });
  const [alice, bob, live] = SEED_KEYS;
  const api = (key: string) => new TestClient(server, key);
  await control(server, "POST", "/clock/freeze");
  const hook = { webhook_url: receiver.url, webhook_secret: SEED_SECRET };
  await api(alice).post("/tryon", { ...TRYON_BODY, ...hook });
  await api(alice).post("/vision", { model_id: "moondream3-preview/caption", image_url: "https://example.com/shoe.jpg", webhook_url: receiver.url });
  await api(bob).post("/generate", { prompt: "a red wool coat on a mannequin", ...hook });
  await api(bob).post("/tryon", { ...TRYON_BODY, garment_type: "bottom" }, { headers: { "X-Mock-Scenario": "job_failed" } });
  await control(server, "POST", "/clock/advance", { ms: 60_000 });
  await server.webhooksSettled();
  const first = (await control(server, "GET", "/webhooks")).body.deliveries[0];
  if (first) await control(server, "POST", `/webhooks/${first.id}/redeliver`, { tamper: "signature" });
  for (let i = 0; i < (opts.jobs ?? 3); i++) await api(live).post("/vision", { model_id: "moondream2", image_url: `https://example.com/catalog/${i}.jpg` });
  await api(alice).post("/tryon", { ...TRYON_BODY, ...hook });
  await control(server, "POST", "/clock/advance", { ms: 4_000 });
  await api(bob).post("/tryon", { person_image_url: "http://example.com/p.jpg", garment_image_url: "https://example.com/g.jpg" });
  await api(bob).get("/jobs/00000000-0000-0000-0000-000000000000?model_id=moondream2");
  await control(server, "PUT", `/accounts/${live}`, { credits: 3 });
  await api(live).post("/tryon", TRYON_BODY);
  await control(server, "POST", "/scenarios", { scenario: "status_error", key: alice, count: 2 });
  await control(server, "POST", "/scenarios", { scenario: "slow_queue", count: 1 });
  await server.webhooksSettled();
  return receiver;
}
