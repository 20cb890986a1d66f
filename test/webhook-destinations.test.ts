import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { webhookPolicy } from "../src/domain/webhook-policy.js";
import type { MockOptions } from "../src/options.js";
import type { MockServer } from "../src/server.js";
import { isRefusal, WebhookDestinations } from "../src/webhooks/destinations.js";
import { createWebhookReceiver, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { startMock, type TestClient } from "./helpers/client.js";

const VISION = { model_id: "moondream2", image_url: "https://example.com/p.jpg" };
const TOKEN = "team-admin-token";

/** A TCP listener on a loopback address that counts the connections it gets and hangs up on each. */
async function tcpCounter(host = "127.0.0.1", port = 0): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const srv = net.createServer((s) => {
    n++;
    s.on("error", () => {});
    s.destroy();
  });
  await new Promise<void>((r) => srv.listen(port, host, r));
  return {
    port: (srv.address() as AddressInfo).port,
    connections: () => n,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

/** A mock bound to every interface; the tests still reach it only on 127.0.0.1. */
async function sharedMock(extra: Partial<MockOptions> = {}): Promise<{ server: MockServer; api: TestClient }> {
  return startMock({ host: "0.0.0.0", adminToken: TOKEN, rateLimits: false, ...extra });
}

async function deliveryOf(server: MockServer, api: TestClient, webhook_url: string) {
  const submit = await api.post("/vision", { ...VISION, webhook_url });
  expect(submit.status, JSON.stringify(submit.body)).toBe(202);
  server.advance(10 * 60_000);
  await server.webhooksSettled();
  return server.webhooks(submit.body.job_id);
}

describe("a private literal webhook_url on a 0.0.0.0 bind with no --webhook-allow", () => {
  let server: MockServer, api: TestClient;
  beforeAll(async () => {
    ({ server, api } = await sharedMock());
    server.freeze(); // the one accepted public URL below is never sent to
  });
  afterAll(() => server.close());

  // The attack: anyone who can reach the public API mints a key and asks for webhooks to internal services.
  it.each(["https://10.0.0.5/admin/drop", "https://169.254.169.254/latest/meta-data/iam/", "https://127.0.0.1:6379/", "https://[::1]:8443/hook", "https://[::ffff:192.168.1.1]/hook", "http://127.0.0.1:3000/hook"])(
    "refuses %s at submit with 400 INVALID_REQUEST naming --webhook-allow, charging nothing",
    async (url) => {
      const before = (await api.post("/vision", VISION)).body.credits_left as number;
      const res = await api.post("/vision", { ...VISION, webhook_url: url });
      expect([res.status, res.body.code]).toEqual([400, "INVALID_REQUEST"]);
      expect(res.body.error).toMatch(/^Invalid webhook_url: .*--webhook-allow/);
      expect(server.getAccount(api.key).credits).toBe(before);
    },
  );

  it("accepts a public HTTPS name", async () => {
    expect((await api.post("/vision", { ...VISION, webhook_url: "https://hooks.example.com/artemotion" })).status).toBe(202);
  });
});

describe("a webhook name that resolves to loopback when the delivery is sent", () => {
  let counter: Awaited<ReturnType<typeof tcpCounter>>;
  let server: MockServer | undefined;
  beforeAll(async () => {
    counter = await tcpCounter();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(() => counter.close());

  it("is refused on a 0.0.0.0 bind with no allow-list: nothing connects, and /__mock/webhooks records why", async () => {
    let api: TestClient;
    ({ server, api } = await sharedMock());
    // `localhost` is a name: accepted at submit, resolved (via /etc/hosts) only when sent.
    const [d] = await deliveryOf(server, api, `https://localhost:${counter.port}/hook`);
    expect(d).toMatchObject({ outcome: "refused", responseStatus: null });
    expect(d!.error).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address: .*--webhook-allow/);
    const again = await server.redeliver(d!.id);
    await server.webhooksSettled();
    expect(server.webhooks(again.jobId).map((x) => x.outcome)).toEqual(["refused", "refused"]);
    const listed = await fetch(`${server.origin}/__mock/webhooks?job_id=${d!.jobId}`, { headers: { "X-Mock-Admin-Token": TOKEN } });
    expect((await listed.json()).deliveries[0]).toMatchObject({ outcome: "refused", error: d!.error });
    expect(counter.connections()).toBe(0);
  });

  it("is refused when --webhook-allow names only other networks", async () => {
    let api: TestClient;
    ({ server, api } = await sharedMock({ webhookAllow: ["10.0.0.0/8"] }));
    const [d] = await deliveryOf(server, api, `http://localhost:${counter.port}/hook`);
    expect(d).toMatchObject({ outcome: "refused", error: expect.stringMatching(/^localhost resolves to 127\.0\.0\.1, which is not in --webhook-allow \(10\.0\.0\.0\/8\)$/) });
    expect(counter.connections()).toBe(0);
  });
});

describe("webhooks --webhook-allow lets through", () => {
  let receiver: WebhookReceiver;
  let server: MockServer | undefined;
  beforeAll(async () => {
    receiver = await createWebhookReceiver();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(() => receiver.close());

  it.each([
    ["a name whose address is inside a listed CIDR", ["127.0.0.0/8"]],
    ["a listed name", ["localhost"]],
    ["a literal address inside a listed CIDR", ["*.example.test", "127.0.0.1/32"]],
  ])("delivers to %s", async (_name, allow) => {
    let api: TestClient;
    ({ server, api } = await sharedMock({ webhookAllow: allow }));
    const url = allow[0] === "*.example.test" ? receiver.url : receiver.url.replace("127.0.0.1", "localhost");
    const before = receiver.deliveries.length;
    const [d] = await deliveryOf(server, api, url);
    expect(d).toMatchObject({ outcome: "delivered", responseStatus: 200 });
    expect(receiver.deliveries.length).toBe(before + 1);
  });

  it("keeps today's default on a loopback bind: private HTTPS destinations are accepted", async () => {
    let api: TestClient;
    ({ server, api } = await startMock());
    server.freeze();
    expect((await api.post("/vision", { ...VISION, webhook_url: "https://10.0.0.5/hook" })).status).toBe(202);
  });
});

describe("a pinned lookup (DNS rebinding between the check and the connect)", () => {
  // The "internal service" on 127.0.0.1 and the allowed receiver on 127.0.0.2 share a port,
  // so only the address the connection uses tells them apart.
  let allowed: Awaited<ReturnType<typeof tcpCounter>>, internal: Awaited<ReturnType<typeof tcpCounter>>;
  beforeAll(async () => {
    allowed = await tcpCounter("127.0.0.2");
    internal = await tcpCounter("127.0.0.1", allowed.port);
  });
  afterAll(() => Promise.all([allowed.close(), internal.close()]));

  it("resolves once, judges that answer and connects to it, whatever DNS answers next", async () => {
    let calls = 0;
    // A hostile name server: an allowed address first, the internal one ever after.
    const rebinding = (_h: string, _o: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) =>
      cb(null, [{ address: calls++ === 0 ? "127.0.0.2" : "127.0.0.1", family: 4 }]);
    const destinations = new WebhookDestinations(webhookPolicy(["127.0.0.2/32"], false), rebinding);
    const send = () =>
      new Promise<{ error: unknown }>((resolve) => {
        const url = new URL(`http://rebind.example:${allowed.port}/hook`);
        const plan = destinations.requestOptions(url);
        if ("refused" in plan) return resolve({ error: plan.refused });
        const req = http.request(url, { method: "POST", ...plan.options });
        req.on("error", (error) => resolve({ error }));
        req.end("{}");
      });
    const first = await send();
    expect(isRefusal(first.error)).toBe(false); // connected; the listener hung up
    expect(first.error).toMatchObject({ message: "socket hang up" });
    expect([calls, allowed.connections(), internal.connections()]).toEqual([1, 1, 0]);
    const second = await send();
    expect(isRefusal(second.error)).toBe(true);
    expect([calls, allowed.connections(), internal.connections()]).toEqual([2, 1, 0]);
  });
});
