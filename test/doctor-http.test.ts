import { afterEach, describe, expect, it } from "vitest";
import type { FindingView } from "../src/doctor/findings.js";
import type { MockOptions } from "../src/options.js";
import type { MockServer } from "../src/server.js";
import { createWebhookReceiver, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { control, startMock, TRYON_BODY, type TestClient } from "./helpers/client.js";

const KEY = "ae_test_badclient001";
const MASKED = "ae_test_badc…t001";
const VISION = { model_id: "moondream2", image_url: "https://example.com/p.jpg" };

let server: MockServer;
let api: TestClient;
let receiver: WebhookReceiver | undefined;
/** The wall clock the mock reads (Exchange's arrival times, the virtual clock's base): the test moves it. */
let wall = 0;
const wait = (ms: number) => void (wall += ms);

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  await server?.close();
});

async function start(options: Partial<MockOptions> = {}) {
  wall = Date.now();
  ({ server, api } = await startMock({ wallNow: () => wall, seed: 5, ...options }, KEY));
}

async function doctor(query = ""): Promise<{ verdict: string; findings: FindingView[] }> {
  const res = await control(server, "GET", `/doctor${query}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function findingsOf(rule: string): Promise<FindingView[]> {
  return (await doctor()).findings.filter((f) => f.rule === rule);
}

/** Evidence must point at real journal entries, with the summary of what was asked. */
async function expectJournaled(f: FindingView) {
  const { body } = await control(server, "GET", "/requests?limit=1000");
  const journal = new Map<string, { method: string; path: string; status: number }>(body.requests.map((e: { id: string }) => [e.id, e]));
  const cited = f.evidence.filter((e) => e.request.startsWith("GET ") || e.request.startsWith("POST "));
  expect(cited.length).toBeGreaterThan(0);
  for (const e of cited) {
    const entry = journal.get(e.id!);
    expect(entry, `evidence ${e.id} (${e.request}) is in the journal`).toBeDefined();
    expect(e.request.startsWith(`${entry!.method} ${entry!.path}`)).toBe(true);
  }
}

describe("the doctor against a deliberately bad client, through real HTTP", () => {
  it("poll-too-fast: two polls of a job 0.8 s apart", async () => {
    await start();
    const submit = await api.post("/tryon", TRYON_BODY);
    wait(3000);
    await api.poll(submit.body.poll_url);
    wait(800);
    await api.poll(submit.body.poll_url);
    const [f] = await findingsOf("poll-too-fast");
    expect(f).toMatchObject({ severity: "warn", key: MASKED, job_id: submit.body.job_id, count: 1, message: expect.stringContaining("Polled 800 ms after the previous poll") });
    expect(f!.evidence).toHaveLength(2);
    await expectJournaled(f!);
  });

  it("poll-budget: ten jobs polled every 2.5 s go past 120 polls a minute; the pace allows 5 jobs", async () => {
    await start({ rateLimits: false });
    server.freeze();
    const urls: string[] = [];
    for (let i = 0; i < 10; i++) urls.push((await api.post("/vision", { ...VISION, prompt: `job ${i}` })).body.poll_url);
    for (let round = 0; round < 14; round++) {
      wait(2500);
      await Promise.all(urls.map((u) => api.poll(u)));
    }
    const found = await findingsOf("poll-budget");
    expect(found.find((f) => f.severity === "error")).toMatchObject({ message: expect.stringMatching(/^1[2-4]\d polls within one minute/), count: expect.any(Number) });
    const pace = found.find((f) => f.severity === "warn")!;
    expect(pace.message).toContain("with 10 jobs in flight that makes about 240 polls a minute");
    expect(pace.message).toContain("the budget allows 5 concurrent jobs");
  });

  it("retry-before-retry-after: the probe arms one 429 and the client resubmits 5 s into Retry-After: 60", async () => {
    await start();
    const armed = await control(server, "POST", "/doctor/probe", { webhooks: false, rate_limit_key: KEY });
    expect(armed.status).toBe(200);
    expect(armed.body.armed).toMatchObject({ scenario: "rate_limited", key: MASKED });
    const limited = await api.post("/tryon", TRYON_BODY);
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBe("60");
    wait(5000);
    expect((await api.post("/tryon", TRYON_BODY)).status).toBe(202);
    const [f] = await findingsOf("retry-before-retry-after");
    expect(f).toMatchObject({ severity: "error", message: "Sent again 5.0 s after a 429 whose Retry-After was 60.0 s." });
    expect(f!.evidence.map((e) => e.request)).toEqual(["POST /api/v1/tryon → 429 RATE_LIMIT_EXCEEDED", "POST /api/v1/tryon → 202"]);
    await expectJournaled(f!);
  });

  it("retry-non-retryable: the same MISSING_FIELD request sent again unchanged", async () => {
    await start();
    const bad = { model_id: "llava-next", image_url: "https://example.com/p.jpg" };
    expect((await api.post("/vision", bad)).status).toBe(400);
    wait(1000);
    expect((await api.post("/vision", bad)).status).toBe(400);
    const [f] = await findingsOf("retry-non-retryable");
    expect(f).toMatchObject({ severity: "error", count: 1, subject: "POST /api/v1/vision → 400 MISSING_FIELD" });
    await expectJournaled(f!);
  });

  it("no-jitter: three jobs whose polls fail with 502 are retried every 3 s, in lock-step", async () => {
    await start();
    server.freeze();
    const urls: string[] = [];
    for (let i = 0; i < 3; i++) urls.push((await api.post("/vision", { ...VISION, prompt: `q${i}` }, { headers: { "X-Mock-Scenario": "status_error" } })).body.poll_url);
    for (let round = 0; round < 4; round++) {
      wait(3000);
      for (const u of urls) await api.poll(u);
    }
    const [f] = await findingsOf("no-jitter");
    expect(f).toMatchObject({ severity: "warn", count: 6, message: "6 retries after errors came every 3.0 s, no later than before the error: no backoff, no jitter, so clients retry in lock-step." });
    await expectJournaled(f!);
  });

  it("double-submit: the same try-on accepted twice 20 s apart, 15 credits spent twice", async () => {
    await start();
    const first = await api.post("/tryon", TRYON_BODY);
    wait(20_000);
    const second = await api.post("/tryon", TRYON_BODY);
    const [f] = await findingsOf("double-submit");
    expect(f).toMatchObject({ severity: "error", credits_wasted: 15, job_id: first.body.job_id });
    expect(f!.message).toContain(`accepted again 20.0 s after job ${first.body.job_id} (job ${second.body.job_id}): 15 credits spent twice`);
    await expectJournaled(f!);
  });

  it("own-poll-url: a poll through another host name, and one without model_id", async () => {
    await start();
    const a = await api.post("/vision", VISION);
    const b = await api.post("/vision", { ...VISION, prompt: "b" });
    wait(3000);
    expect((await api.poll(a.body.poll_url.replace("127.0.0.1", "localhost"))).status).toBe(200);
    expect((await api.get(`/jobs/${b.body.job_id}`)).status).toBe(400);
    const found = await findingsOf("own-poll-url");
    expect(found.map((f) => f.job_id)).toEqual([a.body.job_id, b.body.job_id]);
    expect(found[0]!.message).toContain(`host localhost:${server.port} instead of 127.0.0.1:${server.port}`);
    expect(found[1]!.message).toContain("no query instead of model_id=moondream2");
  });

  it("polls-after-terminal: polling a completed job again", async () => {
    await start({ timing: "instant" });
    const submit = await api.post("/vision", VISION);
    wait(3000);
    await api.poll(submit.body.poll_url);
    wait(3000);
    await api.poll(submit.body.poll_url);
    expect(await findingsOf("polls-after-terminal")).toMatchObject([{ severity: "warn", count: 1, job_id: submit.body.job_id }]);
  });

  it("abandoned-job: a job never polled, credits paid for nothing", async () => {
    await start({ timing: "instant" });
    const submit = await api.post("/tryon", TRYON_BODY);
    const [f] = await findingsOf("abandoned-job");
    expect(f).toMatchObject({ severity: "warn", job_id: submit.body.job_id, credits_wasted: 15, message: expect.stringContaining("was never polled") });
    await expectJournaled(f!);
  });

  it("result-not-downloaded: warn while the job is alive, error once it expired", async () => {
    await start({ timing: "instant" });
    const submit = await api.post("/tryon", TRYON_BODY);
    wait(3000);
    expect((await api.poll(submit.body.poll_url)).body.status).toBe("completed");
    expect(await findingsOf("result-not-downloaded")).toMatchObject([{ severity: "warn", job_id: submit.body.job_id }]);
    server.advance(25 * 3600_000);
    const [f] = await findingsOf("result-not-downloaded");
    expect(f).toMatchObject({ severity: "error", credits_wasted: 15, message: expect.stringContaining("expired 24 h later") });
    expect(f!.evidence[0]!.request).toBe(`the poll that saw job ${submit.body.job_id} completed`);
  });

  it("webhook-unverified: the probe's tampered deliveries get 2xx from a receiver that checks nothing", async () => {
    await start({ timing: "instant" });
    receiver = await createWebhookReceiver();
    const submit = await api.post("/vision", { ...VISION, webhook_url: receiver.url, webhook_secret: "whsec_doctor" });
    await server.webhooksSettled();
    const probe = await control(server, "POST", "/doctor/probe", {});
    expect(probe.status).toBe(200);
    expect(probe.body.receivers).toMatchObject([{ url: receiver.url, verdict: "accepts forgeries" }]);
    expect(probe.body.receivers[0].results.map((r: { tamper: string; outcome: string }) => [r.tamper, r.outcome])).toEqual([
      ["signature", "delivered"], ["timestamp", "delivered"], ["body", "delivered"],
    ]);
    const [f] = await findingsOf("webhook-unverified");
    expect(f).toMatchObject({ severity: "error", count: 3, subject: receiver.url, job_id: submit.body.job_id });
    expect(f!.message).toContain("tampered signature, timestamp, body");
    const ids = (await control(server, "GET", "/webhooks")).body.deliveries.filter((d: { tamper: string | null }) => d.tamper).map((d: { id: string }) => d.id);
    expect(f!.evidence.map((e) => e.id).sort()).toEqual(ids.sort());
  });

  it("webhook-only: a delivery that failed and a job never polled afterwards", async () => {
    await start({ timing: "instant" });
    receiver = await createWebhookReceiver({ respond: () => ({ status: 503 }) });
    const submit = await api.post("/tryon", { ...TRYON_BODY, webhook_url: receiver.url });
    await server.webhooksSettled();
    const [f] = await findingsOf("webhook-only");
    expect(f).toMatchObject({ severity: "error", job_id: submit.body.job_id, message: 'Its webhook delivery ended "http_error" and the key never polls: the result was never reconciled.' });
  });

  it("rejected-input-repeated: three submits with private image URLs", async () => {
    await start();
    for (const host of ["10.0.0.1", "10.0.0.2", "192.168.1.1"]) {
      wait(5000);
      expect((await api.post("/vision", { ...VISION, image_url: `https://${host}/p.jpg` })).status).toBe(400);
    }
    const [f] = await findingsOf("rejected-input-repeated");
    expect(f).toMatchObject({ severity: "warn", count: 3, subject: "IMAGE_ERROR: Image error: Private URLs not allowed" });
    expect(f!.evidence).toHaveLength(3);
    await expectJournaled(f!);
  });
});

describe("GET /__mock/doctor", () => {
  it("answers for one key (or its key_ref) with keys masked, and a one-line verdict", async () => {
    await start({ timing: "instant" });
    await api.post("/tryon", TRYON_BODY);
    await api.post("/tryon", TRYON_BODY, { key: "ae_test_otherclient1" });
    const all = await doctor();
    expect(all.findings).toHaveLength(2);
    expect(all.verdict).toBe("2 findings (0 errors, 2 warnings): abandoned-job.");
    const one = await doctor(`?key=${KEY}`);
    expect(one.findings.map((f) => f.key)).toEqual([MASKED]);
    const ref = (one.findings[0] as FindingView & { key_ref: string }).key_ref;
    expect((await doctor(`?key=${ref}`)).findings).toEqual(one.findings);
    expect(JSON.stringify(all)).not.toContain(KEY);
    expect((await control(server, "GET", "/doctor?key=nonsense")).status).toBe(400);
  });

  it("is a method in process too: mock.doctor() with raw keys, mock.doctorProbe() arming a 429", async () => {
    await start({ timing: "instant" });
    await api.post("/tryon", TRYON_BODY);
    const report = server.doctor(KEY);
    expect(report.findings).toMatchObject([{ rule: "abandoned-job", key: KEY }]);
    expect(report.findings.map((f) => f.job_id)).toEqual((await doctor()).findings.map((f) => f.job_id));
    expect(await server.doctorProbe({ rateLimitKey: KEY })).toMatchObject({ receivers: [], armed: { scenario: "rate_limited", key: KEY } });
    expect((await api.post("/tryon", TRYON_BODY)).status).toBe(429);
  });

  it("says so when the doctor is off, and records nothing", async () => {
    await start({ doctor: false, timing: "instant" });
    await api.post("/tryon", TRYON_BODY);
    expect(await doctor()).toMatchObject({ enabled: false, findings: [], verdict: "The doctor is off on this mock (--doctor off)." });
    expect(server.mock.runtime.doctor).toBeNull();
  });

  it("refuses a probe body it does not know", async () => {
    await start();
    const res = await control(server, "POST", "/doctor/probe", { tamper: "all" });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("INVALID_REQUEST");
  });
});
