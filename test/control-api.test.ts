import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyRef, maskKey } from "../src/domain/keys.js";
import { REGISTRY_NAMES } from "../src/domain/registry.js";
import type { MockServer } from "../src/server.js";
import { createWebhookReceiver, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { verifyWebhook } from "../src/webhooks/signature.js";
import { control, startMock, TRYON_BODY, TestClient } from "./helpers/client.js";

const VERSION = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
let server: MockServer;
let api: TestClient;
beforeAll(async () => ({ server, api } = await startMock({ seed: 9, timing: "realistic" })));
afterAll(() => server.close());

let keySeq = 0;
const client = () => new TestClient(server, `ae_test_controlapi${String(++keySeq).padStart(3, "0")}`);

describe("the control API", () => {
  it("reports health with the package version and the virtual time", async () => {
    const before = (await control(server, "GET", "/health")).body;
    await control(server, "POST", "/clock/advance", { ms: 3_600_000 });
    const after = (await control(server, "GET", "/health")).body;
    expect(before).toEqual({ status: "ok", version: VERSION, now: expect.any(String), store: { kind: "memory", status: "ok" }, replica: expect.any(String) });
    expect(Date.parse(after.now) - Date.parse(before.now)).toBeGreaterThanOrEqual(3_600_000);
  });

  it("freezes, reads, advances and resumes the clock", async () => {
    const frozen = await control(server, "POST", "/clock/freeze");
    expect(frozen.body).toMatchObject({ frozen: true });
    expect((await control(server, "GET", "/clock")).body).toEqual(frozen.body);
    const advanced = await control(server, "POST", "/clock/advance", { ms: 90_000 });
    expect(advanced.body).toEqual({ now: new Date(frozen.body.now_ms + 90_000).toISOString(), now_ms: frozen.body.now_ms + 90_000, frozen: true });
    const resumed = await control(server, "POST", "/clock/resume");
    expect(resumed.body.frozen).toBe(false);
    expect(resumed.body.now_ms).toBeGreaterThanOrEqual(advanced.body.now_ms);
    server.freeze();
  });

  it("refuses an advance the control API would refuse in process too, leaving the clock as it was", async () => {
    const before = server.clock();
    for (const ms of [8.64e15, -1, Number.NaN]) expect(() => server.advance(ms), String(ms)).toThrow(/Invalid ms .*must be a number from 0 to 31622400000/);
    expect((await control(server, "POST", "/clock/advance", { ms: 366 * 24 * 3600 * 1000 + 1 })).status).toBe(400);
    expect(server.clock().now_ms - before.now_ms).toBeLessThan(60_000);
    expect((await control(server, "GET", "/health")).status).toBe(200);
  });

  it("sets, reads and deletes accounts, keys masked; a deleted key gets 401 until it is set again", async () => {
    const a = client();
    const masked = maskKey(a.key);
    // A key never charged has no account yet: it shows the balance it would start with.
    expect((await control(server, "GET", `/accounts/${a.key}`)).body).toMatchObject({ key: masked, credits: 1000, jobs: 0, provisioned: false });
    expect((await control(server, "PUT", `/accounts/${a.key}`, { credits: 50 })).body).toMatchObject({ key: masked, key_ref: keyRef(a.key), credits: 50 });
    expect((await a.post("/tryon", TRYON_BODY)).body.credits_left).toBe(35);
    expect((await control(server, "GET", `/accounts/${keyRef(a.key)}`)).body).toEqual({
      key: masked, key_ref: keyRef(a.key), credits: 35, jobs: 1, provisioned: true, usage: { tryon: 1, vision: 0, generate: 0, poll: 0 },
    });
    expect((await control(server, "DELETE", `/accounts/${a.key}`)).status).toBe(204);
    const refused = await a.get("/jobs/00000000-0000-4000-8000-000000000000?model_id=flux-pro");
    expect([refused.status, refused.body]).toEqual([401, { error: "Invalid API key", code: "UNAUTHORIZED" }]);
    expect((await a.post("/tryon", TRYON_BODY)).status).toBe(401);
    expect((await control(server, "GET", `/accounts/${a.key}`)).status).toBe(404);
    await control(server, "PUT", `/accounts/${a.key}`, { credits: 20 });
    expect((await a.post("/tryon", TRYON_BODY)).body.credits_left).toBe(5);
  });

  it("arms, lists and disarms scenarios by id, by key, or all", async () => {
    const a = client();
    const one = await control(server, "POST", "/scenarios", { scenario: "job-failed", key: a.key, count: 3 });
    expect([one.status, one.body]).toEqual([201, { id: expect.any(String), scenario: "job_failed", key: maskKey(a.key), key_ref: keyRef(a.key), remaining: 3, phase: "submit", params: null }]);
    const two = (await control(server, "POST", "/scenarios", { scenario: "stuck", key: a.key })).body;
    const global = (await control(server, "POST", "/scenarios", { scenario: "nsfw" })).body;
    expect(global).toMatchObject({ key: null, remaining: 1 });
    const listed = (await control(server, "GET", "/scenarios")).body;
    expect(listed.available).toEqual(REGISTRY_NAMES);
    expect(listed.armed).toEqual([one.body, two, global]);
    expect((await control(server, "DELETE", "/scenarios", { id: one.body.id })).body).toEqual({ disarmed: 1 });
    expect((await control(server, "DELETE", "/scenarios", { key: a.key })).body).toEqual({ disarmed: 1 });
    expect((await control(server, "GET", "/scenarios")).body.armed).toEqual([global]);
    expect((await control(server, "DELETE", "/scenarios")).body).toEqual({ disarmed: 1 });
  });

  it("lists one key's jobs with masked keys and their current status", async () => {
    const [a, b] = [client(), client()];
    const job = (await a.post("/tryon", TRYON_BODY)).body;
    await b.post("/tryon", TRYON_BODY);
    const listed = await control(server, "GET", `/jobs?key=${a.key}`);
    expect(listed.body.jobs).toEqual([expect.objectContaining({ job_id: job.job_id, status: "queued", model_id: job.model_id, kind: "tryon" })]);
    expect(listed.body.jobs[0].key).not.toContain(a.key.slice(8));
    server.advance(40_000);
    expect((await control(server, "GET", `/jobs?key=${a.key}`)).body.jobs[0].status).toBe("completed");
  });

  it("resets one key, or everything", async () => {
    const [a, b] = [client(), client()];
    const jobA = (await a.post("/tryon", TRYON_BODY)).body;
    const jobB = (await b.post("/tryon", TRYON_BODY)).body;
    await control(server, "POST", "/scenarios", { scenario: "stuck", key: a.key });
    expect((await control(server, "POST", "/reset", { key: a.key })).body).toEqual({ reset: maskKey(a.key) });
    expect((await control(server, "GET", `/accounts/${a.key}`)).body).toMatchObject({ credits: 1000, jobs: 0, provisioned: false });
    expect((await a.poll(jobA.poll_url)).status).toBe(404);
    expect(server.listScenarios().filter((x) => x.key === a.key)).toEqual([]);
    expect((await b.poll(jobB.poll_url)).status).toBe(200);
    expect((await control(server, "POST", "/reset")).body).toEqual({ reset: "all" });
    expect((await b.poll(jobB.poll_url)).status).toBe(404);
    expect((await b.post("/tryon", TRYON_BODY)).body.credits_left).toBe(985);
  });

  it.each([
    ["POST", "/clock/advance", {}, 'Missing required field "ms".'],
    ["POST", "/clock/advance", { ms: -1 }, /ms/],
    ["POST", "/clock/advance", { ms: 1.5 }, /ms/],
    ["POST", "/clock/advance", { ms: "100" }, /ms/],
    ["POST", "/scenarios", { scenario: "meltdown" }, /scenario/],
    ["POST", "/scenarios", { scenario: "stuck", key: "not-a-key" }, /key/],
    ["POST", "/scenarios", { scenario: "stuck", count: 0 }, /count/],
    ["POST", "/reset", { key: "sk_live_123" }, /key/],
    ["PUT", "/accounts/ae_test_controlput1", { credits: -5 }, /credits/],
    ["PUT", "/accounts/ae_test_controlput1", {}, /credits/],
    ["GET", "/accounts/not-a-key", undefined, /key/],
    ["GET", "/jobs?key=nope", undefined, /key/],
    ["GET", "/requests?limit=-1", undefined, /limit/],
  ])("answers %s %s with bad input %j with 400 { error, code }", async (method, path, body, message) => {
    const r = await control(server, method, path, body);
    expect([r.status, r.body.code]).toEqual([400, "INVALID_REQUEST"]);
    expect(Object.keys(r.body).sort()).toEqual(["code", "error"]);
    expect(r.body.error).toMatch(message);
  });

  it("answers malformed JSON and non-JSON bodies with 400, not 500", async () => {
    for (const [type, text] of [["application/json", "{"], ["text/plain", "ms=1"]]) {
      const r = await fetch(`${server.origin}/__mock/clock/advance`, { method: "POST", headers: { "Content-Type": type! }, body: text });
      expect([r.status, (await r.json()).code]).toEqual([400, "INVALID_REQUEST"]);
    }
  });
});

describe("webhooks through the control API", () => {
  let receiver: WebhookReceiver;
  const SECRET = "whsec_control_api";
  beforeAll(async () => (receiver = await createWebhookReceiver({ secret: SECRET })));
  afterAll(() => receiver.close());

  it("lists a job's deliveries and redelivers them, tampered on request", async () => {
    server.freeze();
    const job = (await api.post("/tryon", { ...TRYON_BODY, webhook_url: receiver.url, webhook_secret: SECRET })).body;
    await control(server, "POST", "/clock/advance", { ms: 40_000 });
    const [original] = (await control(server, "GET", `/webhooks?job_id=${job.job_id}`)).body.deliveries;
    expect(original).toMatchObject({ jobId: job.job_id, event: "job.completed", redeliveryOf: null, tamper: null });
    expect((await receiver.waitFor((d) => receiver.deliveries.indexOf(d) === 0)).verification).toMatchObject({ ok: true });

    const cases = [[null, true], ["signature", false], ["timestamp", false], ["body", false], [null, true]] as const;
    for (const [i, [tamper, ok]] of cases.entries()) {
      const sent = await control(server, "POST", `/webhooks/${original.id}/redeliver`, tamper ? { tamper } : undefined);
      expect([sent.status, sent.body.redeliveryOf, sent.body.tamper]).toEqual([202, original.id, tamper]);
      const got = await receiver.waitFor((d) => receiver.deliveries.indexOf(d) === i + 1);
      expect(verifyWebhook(got.rawBody, got.headers, SECRET).ok, `tamper ${tamper}`).toBe(ok);
      expect(verifyWebhook(got.rawBody, got.headers, "whsec_other").ok).toBe(false);
    }
    await server.webhooksSettled();
    const all = (await control(server, "GET", `/webhooks?job_id=${job.job_id}`)).body.deliveries;
    expect(all.map((d: { tamper: string | null }) => d.tamper)).toEqual([null, ...cases.map(([t]) => t)]);
    expect(all.every((d: { outcome: string }) => d.outcome === "delivered")).toBe(true);

    // Redelivering the body-tampered copy sends the original body again, correctly signed.
    const again = await control(server, "POST", `/webhooks/${all[4].id}/redeliver`);
    expect(again.body.redeliveryOf).toBe(original.id);
    const got = await receiver.waitFor((d) => receiver.deliveries.indexOf(d) === cases.length + 1);
    expect([got.verification?.ok, got.rawBody]).toEqual([true, receiver.deliveries[0]!.rawBody]);
    expect((await control(server, "GET", "/webhooks?job_id=nope")).body.deliveries).toEqual([]);
  });

  it("refuses an unknown delivery or tamper mode", async () => {
    expect((await control(server, "POST", "/webhooks/dlv_999999/redeliver")).body.code).toBe("NOT_FOUND");
    expect((await control(server, "POST", "/webhooks/dlv_000001/redeliver", { tamper: "headers" })).status).toBe(400);
  });
});
