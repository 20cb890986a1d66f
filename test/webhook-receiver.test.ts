import { afterEach, describe, expect, it } from "vitest";
import { createWebhookReceiver, type Responder, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { signWebhook } from "../src/webhooks/signature.js";

const secret = "whsec_receiver";
let receiver: WebhookReceiver | undefined;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function start(opts: { secret?: string; respond?: Responder } = {}): Promise<WebhookReceiver> {
  receiver = await createWebhookReceiver(opts);
  return receiver;
}

function post(url: string, body: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers }, signal });
}

function signedHeaders(body: string, event = "job.completed"): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  return {
    "X-ArtEmotion-Event": event,
    "X-ArtEmotion-Timestamp": String(ts),
    "X-ArtEmotion-Signature": signWebhook(body, secret, ts),
    "User-Agent": "ArtEmotion-Webhooks/1.0",
  };
}

describe("webhook receiver", () => {
  it("records a POST with its raw body, parsed JSON, lower-case headers and a passing verification", async () => {
    const r = await start({ secret });
    const body = JSON.stringify({ id: "job_1", status: "completed" });
    const res = await post(r.url, body, signedHeaders(body));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });

    expect(r.deliveries).toHaveLength(1);
    const d = r.deliveries[0]!;
    expect(d).toMatchObject({ method: "POST", path: "/webhook", rawBody: body, body: { id: "job_1", status: "completed" } });
    expect(d.headers["user-agent"]).toBe("ArtEmotion-Webhooks/1.0");
    expect(d.headers["x-artemotion-event"]).toBe("job.completed");
    expect(d.verification).toMatchObject({ ok: true, event: "job.completed" });
  });

  it("records a failed verification for a bad signature and null verification without a secret", async () => {
    const r = await start({ secret });
    const headers = { ...signedHeaders("{}"), "X-ArtEmotion-Signature": signWebhook("{}", "wrong", 1) };
    await post(`${r.url.replace("/webhook", "/any/path")}`, "{}", headers);
    expect(r.deliveries[0]).toMatchObject({ path: "/any/path", verification: { ok: false } });

    const plain = await createWebhookReceiver();
    try {
      await post(plain.url, "not json");
      expect(plain.deliveries[0]).toMatchObject({ rawBody: "not json", body: null, verification: null });
    } finally {
      await plain.close();
    }
  });

  it("waitFor resolves with an already-received delivery", async () => {
    const r = await start();
    await post(r.url, '{"n":1}');
    await expect(r.waitFor()).resolves.toMatchObject({ body: { n: 1 } });
  });

  it("waitFor resolves with a future delivery that matches the predicate", async () => {
    const r = await start();
    const waiting = r.waitFor((d) => (d.body as { n?: number } | null)?.n === 2);
    await post(r.url, '{"n":1}');
    await post(r.url, '{"n":2}');
    await expect(waiting).resolves.toMatchObject({ body: { n: 2 } });
  });

  it("waitFor rejects with a clear error when nothing matches before the timeout", async () => {
    const r = await start();
    await expect(r.waitFor(() => false, 50)).rejects.toThrow(/no matching delivery within 50 ms/);
  });

  it("answers with the status, headers and body a responder returns, e.g. 500", async () => {
    const r = await start({ respond: () => ({ status: 500, headers: { "x-reason": "boom" }, body: "nope" }) });
    const res = await post(r.url, "{}");
    expect(res.status).toBe(500);
    expect(res.headers.get("x-reason")).toBe("boom");
    expect(await res.text()).toBe("nope");
    expect(r.deliveries).toHaveLength(1);
  });

  it('destroys the socket without a response for "destroy", after recording the delivery', async () => {
    const r = await start({ respond: () => "destroy" });
    await expect(post(r.url, '{"x":1}')).rejects.toThrow();
    expect(r.deliveries).toHaveLength(1);
    expect(r.deliveries[0]!.body).toEqual({ x: 1 });
  });

  it('never answers for "hang", and close() still resolves while the request hangs', async () => {
    const r = await start({ respond: () => "hang" });
    const pending = post(r.url, "{}");
    pending.catch(() => undefined); // the socket is torn down by close(); the failure is expected
    await r.waitFor();
    const outcome = await Promise.race([
      pending.then(() => "answered", () => "failed"),
      new Promise((resolve) => setTimeout(() => resolve("still pending"), 200)),
    ]);
    expect(outcome).toBe("still pending");

    await r.close();
    await expect(pending).rejects.toThrow();
  });

  it("close() is idempotent and rejects pending waiters", async () => {
    const r = await start();
    const waiting = r.waitFor(undefined, 10_000);
    await Promise.all([r.close(), r.close()]);
    await expect(waiting).rejects.toThrow(/closed/);
  });
});
