import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startMock, type TestClient } from "./helpers/client.js";
import type { MockServer } from "../src/server.js";
import type { DeliveryRecord } from "../src/domain/deliveries.js";
import { createWebhookReceiver, type Responder, type WebhookReceiver } from "../src/webhooks/receiver.js";

let server: MockServer | undefined;
let receivers: WebhookReceiver[] = [];

afterEach(async () => {
  // Receivers first: closing a hanging receiver ends its delivery, so the mock closes at once.
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
  await server?.close();
  server = undefined;
});

async function receiver(respond?: Responder): Promise<WebhookReceiver> {
  const r = await createWebhookReceiver({ respond });
  receivers.push(r);
  return r;
}

/** A URL on a port nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/webhook`;
}

/** Instant timing: the job is terminal at submit, so its delivery starts during the submit. */
async function submitWithWebhook(url: string, webhookTimeoutMs = 200): Promise<{ api: TestClient; jobId: string; pollUrl: string }> {
  const started = await startMock({ timing: "instant", webhookTimeoutMs });
  server = started.server;
  const submit = await started.api.post("/generate", { prompt: "a coat", webhook_url: url, webhook_secret: "whsec_faults" });
  expect(submit.status).toBe(202);
  return { api: started.api, jobId: submit.body.job_id, pollUrl: submit.body.poll_url };
}

async function onlyAttempt(jobId: string): Promise<DeliveryRecord> {
  await server!.webhooksSettled();
  const attempts = server!.webhooks(jobId);
  expect(attempts).toHaveLength(1);
  expect(attempts[0]!.durationMs).not.toBeNull();
  return attempts[0]!;
}

describe("a faulty webhook receiver", () => {
  it("that hangs past the timeout is recorded once as a timeout", async () => {
    const r = await receiver(() => "hang");
    const { api, jobId, pollUrl } = await submitWithWebhook(r.url);
    expect(await onlyAttempt(jobId)).toMatchObject({ outcome: "timeout", responseStatus: null, error: expect.stringContaining("200 ms") });
    expect(r.deliveries).toHaveLength(1);
    expect((await api.poll(pollUrl)).body.status).toBe("completed");
  });

  it("that answers 500 is recorded once as an http_error with its status, never retried", async () => {
    const r = await receiver(() => ({ status: 500, body: "boom" }));
    const { api, jobId, pollUrl } = await submitWithWebhook(r.url);
    expect(await onlyAttempt(jobId)).toMatchObject({ outcome: "http_error", responseStatus: 500, error: null });
    expect((await api.poll(pollUrl)).body.status).toBe("completed");
    await server!.webhooksSettled();
    expect(r.deliveries).toHaveLength(1);
  });

  it("that answers 302 is recorded once as a redirect and the redirect target is never contacted", async () => {
    const target = await receiver();
    const r = await receiver(() => ({ status: 302, headers: { location: target.url } }));
    const { api, jobId } = await submitWithWebhook(r.url);
    expect(await onlyAttempt(jobId)).toMatchObject({ outcome: "redirect", responseStatus: 302 });
    // A barrier: a later job sent straight to the target arrives, and is the only thing it ever got.
    const direct = await api.post("/generate", { prompt: "a belt", webhook_url: target.url });
    await target.waitFor();
    expect(target.deliveries.map((d) => (d.body as { request_id: string }).request_id)).toEqual([direct.body.job_id]);
    expect(r.deliveries).toHaveLength(1);
  });

  it("that refuses the connection is recorded once as a connection_error", async () => {
    const { api, jobId, pollUrl } = await submitWithWebhook(await closedPortUrl());
    expect(await onlyAttempt(jobId)).toMatchObject({ outcome: "connection_error", responseStatus: null, error: expect.stringMatching(/ECONNREFUSED/) });
    expect((await api.poll(pollUrl)).body.status).toBe("completed");
  });

  it("that destroys the socket mid-request is recorded once as a connection_error", async () => {
    const r = await receiver(() => "destroy");
    const { api, jobId, pollUrl } = await submitWithWebhook(r.url);
    expect(await onlyAttempt(jobId)).toMatchObject({ outcome: "connection_error", responseStatus: null, error: expect.any(String) });
    expect(r.deliveries).toHaveLength(1);
    expect((await api.poll(pollUrl)).body.status).toBe("completed");
  });

  it("that trickles its answer byte by byte is still cut off at the timeout, not kept alive by each byte", async () => {
    const sockets = new Set<Socket>();
    const slow = createServer((socket) => {
      sockets.add(socket);
      const bytes = [..."HTTP/1.1 200 OK\r\nX-Slow: " + "z".repeat(25)];
      const tick = setInterval(() => {
        if (bytes.length > 0) socket.write(bytes.shift()!);
        else socket.end("\r\nContent-Length: 0\r\n\r\n"); // a 200 after ~1.3 s, had nobody cut it off
      }, 50);
      socket.on("close", () => clearInterval(tick)).on("error", () => undefined);
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    try {
      const { jobId } = await submitWithWebhook(`http://127.0.0.1:${(slow.address() as { port: number }).port}/webhook`);
      expect(await onlyAttempt(jobId)).toMatchObject({ outcome: "timeout", responseStatus: null });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => slow.close(() => r()));
    }
  });

  it("does not slow the API: a poll made while a delivery hangs answers within 100 ms", async () => {
    const r = await receiver(() => "hang");
    const { api, jobId, pollUrl } = await submitWithWebhook(r.url, 10_000);
    await r.waitFor(); // the receiver holds the request open from here on
    const started = performance.now();
    const poll = await api.poll(pollUrl);
    const elapsed = performance.now() - started; // timed on purpose: the acceptance asks for it
    expect(poll.status).toBe(200);
    expect(elapsed).toBeLessThan(100);
    expect(server!.webhooks(jobId)).toMatchObject([{ outcome: "pending" }]);
  });
});
