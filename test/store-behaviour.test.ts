import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { findModel, type JobKind } from "../src/domain/catalog.js";
import { ApiError } from "../src/domain/errors.js";
import { stateAt } from "../src/domain/lifecycle.js";
import type { ScenarioName } from "../src/domain/scenarios.js";
import { resolveSubmit } from "../src/domain/submit-rules.js";
import type { RequestEventData } from "../src/events/types.js";
import type { Store, StoreConfig } from "../src/store/types.js";
import { STORE_FACTORIES } from "./helpers/stores.js";

/**
 * One behaviour suite, every store: the rules of submit, poll, credits, rate
 * limits, scenarios, the clock, expiry, deliveries and the journal, spoken
 * to the Store interface directly. Every call is awaited, so the synchronous
 * memory store and the asynchronous Redis store run the same lines.
 */
const TRYON = { person_image_url: "https://example.com/p.jpg", garment_image_url: "https://example.com/g.jpg" };
const VISION = { image_url: "https://example.com/p.jpg", model_id: "moondream3-preview/caption" };
const MODERATION = { image_url: "https://example.com/p.jpg", model_id: "imageutils/nsfw" };
const K = "ae_test_behaviour001";
const L = "ae_test_behaviour002";

/** The error code a call answers with ("ok" when it succeeds), whether it throws at once or rejects. */
async function code(call: () => unknown): Promise<string> {
  try {
    await call();
    return "ok";
  } catch (e) {
    if (e instanceof ApiError) return e.code;
    throw e;
  }
}

async function error(call: () => unknown): Promise<ApiError> {
  try {
    await call();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error("expected an ApiError");
}

describe.each(STORE_FACTORIES)("the $name store", (factory) => {
  let store: Store;
  const open = async (config: Partial<StoreConfig> = {}) => {
    store = await factory.open(config);
    await store.freeze();
    return store;
  };
  const submit = (kind: JobKind = "tryon", body: Record<string, unknown> = TRYON, key = K, scenario: ScenarioName | null = null, resolved = { scenario: null as ScenarioName | null }) =>
    store.submit({ key, request: resolveSubmit(kind, structuredClone(body)), scenario, origin: "http://127.0.0.1:4010" }, resolved);
  const poll = (jobId: string, key = K, modelId = "image-apps-v2/virtual-try-on", scenario: ScenarioName | null = null) =>
    store.poll({ key, jobId, model: findModel(modelId)!, scenario });
  const credits = async (key = K) => (await store.account(key))!.credits;

  beforeEach(async () => {
    await open();
  });
  afterAll(async () => {
    await store?.close();
    await factory.teardown?.();
  });

  describe("submit and credits", () => {
    it("charges the model's credits and creates a queued job that polls back", async () => {
      const r = await submit();
      expect(r.creditsLeft).toBe(985);
      expect(await credits()).toBe(985);
      const p = await poll(r.job.id);
      expect(p.job.id).toBe(r.job.id);
      expect(stateAt(p.job, p.now)).toBe("queued");
      expect((await store.account(K))!.jobs).toBe(1);
    });

    it("refuses a submit the balance cannot pay with the documented 402, charging nothing", async () => {
      await store.setAccount(K, 14);
      const e = await error(() => submit());
      expect([e.code, e.message]).toEqual(["INSUFFICIENT_CREDITS", "Insufficient credits. Required: 15, available: 14."]);
      expect(await credits()).toBe(14);
      expect((await store.jobs({ key: K })).total).toBe(0);
    });

    it("never overspends under concurrent submits: exactly as many jobs as the balance pays for", async () => {
      await store.setAccount(K, 47);
      const results = await Promise.all(Array.from({ length: 12 }, () => code(() => submit())));
      expect(results.filter((c) => c === "ok")).toHaveLength(3);
      expect(results.filter((c) => c === "INSUFFICIENT_CREDITS")).toHaveLength(9);
      expect(await credits()).toBe(2);
    });

    it("refunds a submission_error: 502, balance unchanged, no job", async () => {
      expect(await code(() => submit("tryon", TRYON, K, "submission_error"))).toBe("SUBMISSION_ERROR");
      expect(await credits()).toBe(1000);
      expect((await store.jobs({})).total).toBe(0);
    });

    it("answers scenarios that come before the charge without charging or counting", async () => {
      for (const s of ["rate_limited", "insufficient_credits", "image_fetch_403", "private_url"] as const) await code(() => submit("tryon", TRYON, K, s));
      expect(await credits()).toBe(1000);
      expect((await store.account(K))!.usage.tryon).toBe(0);
    });

    it("refuses a deleted key with 401 until it is set again, and a key outside --keys FILE always", async () => {
      await submit();
      await store.deleteAccount(K);
      expect(await code(() => store.authorize(K))).toBe("UNAUTHORIZED");
      expect(await code(() => submit())).toBe("UNAUTHORIZED");
      expect(await store.account(K)).toBeUndefined();
      await store.setAccount(K, 20);
      expect((await submit()).creditsLeft).toBe(5);
      await store.close();
      await open({ keys: new Map([[L, 30]]) });
      expect(await code(() => store.authorize(K))).toBe("UNAUTHORIZED");
      expect((await submit("tryon", TRYON, L)).creditsLeft).toBe(15);
    });

    it("creates nothing for a key that only reads, and stops creating accounts at --max-keys", async () => {
      await store.close();
      await open({ maxKeys: 1 });
      await store.authorize(L);
      expect(await code(() => poll("no-such-job", L))).toBe("NOT_FOUND");
      expect(await store.accounts()).toEqual([]);
      await submit("tryon", TRYON, K);
      const e = await error(() => submit("tryon", TRYON, L));
      expect(e.code).toBe("UNAUTHORIZED");
      expect(e.message).toContain("--max-keys");
    });
  });

  it("keeps no account for a new key whose first charge is refused (402 or a refund), so it takes no place under --max-keys", async () => {
    await store.close();
    await open({ maxKeys: 1, defaultCredits: 10 });
    expect(await code(() => submit("tryon", TRYON, L))).toBe("INSUFFICIENT_CREDITS");
    expect(await code(() => submit("vision", VISION, L, "submission_error"))).toBe("SUBMISSION_ERROR");
    expect(await store.accounts()).toEqual([]);
    expect((await submit("vision", VISION, K)).creditsLeft).toBe(8);
    expect((await store.accounts()).map((a) => [a.key, a.credits])).toEqual([[K, 8]]);
  });

  describe("rate limits", () => {
    it("refuses the 11th try-on of a minute with 429 and Retry-After, and accepts again once the window slides", async () => {
      for (let i = 0; i < 10; i++) await submit();
      await store.advance(20_000);
      const e = await error(() => submit());
      expect(e.code).toBe("RATE_LIMIT_EXCEEDED");
      expect(e.headers["Retry-After"]).toBe("40");
      await store.advance(40_000);
      expect(await code(() => submit())).toBe("ok");
    });

    it("counts only accepted requests: a refused submit uses no quota", async () => {
      await store.setAccount(K, 0);
      for (let i = 0; i < 12; i++) expect(await code(() => submit())).toBe("INSUFFICIENT_CREDITS");
      expect((await store.account(K))!.usage.tryon).toBe(0);
    });

    it("limits polls to 120 a minute per key", async () => {
      const { job } = await submit();
      for (let i = 0; i < 120; i++) await poll(job.id);
      expect(await code(() => poll(job.id))).toBe("RATE_LIMIT_EXCEEDED");
      expect(await code(() => poll(job.id, L))).toBe("NOT_FOUND");
    });
  });

  describe("polls", () => {
    it("hides a job from other keys and from another model_id", async () => {
      const { job } = await submit();
      expect(await code(() => poll(job.id, L))).toBe("NOT_FOUND");
      expect(await code(() => poll(job.id, K, "flux-2-lora-gallery/virtual-tryon"))).toBe("NOT_FOUND");
    });

    it("answers status_error's next 3 polls with 502, then the job", async () => {
      const { job } = await submit("tryon", TRYON, K, "status_error");
      for (let i = 0; i < 3; i++) expect(await code(() => poll(job.id))).toBe("STATUS_ERROR");
      expect(await code(() => poll(job.id))).toBe("ok");
    });

    it("answers 404 to a hidden job's next N polls, then the job", async () => {
      const { job } = await submit();
      await store.hideJob(job.id, 2);
      expect([await code(() => poll(job.id)), await code(() => poll(job.id)), await code(() => poll(job.id))]).toEqual(["NOT_FOUND", "NOT_FOUND", "ok"]);
    });

    it("marks a hidden job's 404 as fault poll_not_found, and an unknown job's 404 as no fault", async () => {
      const { job } = await submit();
      await store.hideJob(job.id, 1);
      expect((await error(() => poll(job.id))).fault).toBe("poll_not_found");
      expect((await error(() => poll("no-such-job"))).fault).toBeNull();
    });
  });

  describe("armed scenarios", () => {
    it("uses an arming exactly `count` times, the key's own before one for every key", async () => {
      await store.arm({ scenario: "job_failed", key: null, count: 1, phase: "submit", params: null });
      await store.arm({ scenario: "stuck", key: K, count: 2, phase: "submit", params: null });
      const resolved = { scenario: null as ScenarioName | null };
      await submit("tryon", TRYON, K, null, resolved);
      expect(resolved.scenario).toBe("stuck");
      const taken = [];
      for (let i = 0; i < 3; i++) taken.push((await submit()).job.scenario);
      expect(taken).toEqual(["stuck", "job_failed", null]);
      expect(await store.armed()).toEqual([]);
    });

    it("keeps an armed nsfw for a moderation submit", async () => {
      const armed = await store.arm({ scenario: "nsfw", key: K, count: 1, phase: "submit", params: null });
      expect((await submit()).job.scenario).toBeNull();
      expect((await store.armed()).map((a) => a.id)).toEqual([armed.id]);
      expect((await submit("vision", MODERATION)).job.scenario).toBe("nsfw");
      expect(await store.armed()).toEqual([]);
    });

    it("disarms by id, by key, or everything", async () => {
      const a = await store.arm({ scenario: "stuck", key: K, count: 1, phase: "submit", params: null });
      await store.arm({ scenario: "stuck", key: K, count: 1, phase: "submit", params: null });
      await store.arm({ scenario: "stuck", key: null, count: 1, phase: "submit", params: null });
      expect(await store.disarm({ id: a.id })).toBe(1);
      expect(await store.disarm({ key: K })).toBe(1);
      expect(await store.disarm({})).toBe(1);
      expect(await store.armed()).toEqual([]);
    });

    it("uses chaos's fallback scenario only when neither the command nor an arming names one", async () => {
      const cmd = (scenario: ScenarioName | null, fallbackScenario: ScenarioName) => ({
        key: K, request: resolveSubmit("tryon", structuredClone(TRYON)), scenario, origin: "http://127.0.0.1:4010", fallbackScenario,
      });
      await store.arm({ scenario: "stuck", key: K, count: 1, phase: "submit", params: null });
      const resolved = { scenario: null as ScenarioName | null };
      expect((await store.submit(cmd(null, "job_failed"), resolved)).job.scenario).toBe("stuck");
      expect((await store.submit(cmd(null, "job_failed"), resolved)).job.scenario).toBe("job_failed");
      expect((await store.submit(cmd("slow_queue", "job_failed"), resolved)).job.scenario).toBe("slow_queue");
      expect(await code(() => store.submit(cmd(null, "submission_error"), resolved))).toBe("SUBMISSION_ERROR");
      expect(resolved.scenario).toBe("submission_error");
    });

    it("keeps a webhook fault named at submit on the job, for its delivery", async () => {
      const body = { ...TRYON, webhook_url: "https://hooks.example.com/x" };
      const webhookFault = { name: "webhook_delay", params: { ms: 5000 } };
      const r = await store.submit({ key: K, request: resolveSubmit("tryon", structuredClone(body)), scenario: null, origin: "http://127.0.0.1:4010", webhookFault }, { scenario: null });
      expect((await store.job(r.job.id))!.webhookFault).toEqual(webhookFault);
      expect((await submit()).job.webhookFault).toBeNull();
    });

    it("hands out a non-submit arming through takeArmed, once per count", async () => {
      await store.arm({ scenario: "status_error", key: K, count: 1, phase: "poll", params: { ms: 5 } });
      expect(await store.takeArmed(K, "submit", ["status_error"])).toBeNull();
      expect(await store.takeArmed(K, "poll", ["status_error"])).toMatchObject({ scenario: "status_error", params: { ms: 5 } });
      expect(await store.takeArmed(K, "poll", ["status_error"])).toBeNull();
    });
  });

  describe("the clock, expiry and webhooks", () => {
    it("moves a job through queued, processing and completed as the frozen clock is advanced", async () => {
      const { job } = await submit();
      const states = [];
      for (const ms of [0, job.processingAt - job.createdAt, job.finishedAt - job.processingAt]) {
        await store.advance(ms);
        const p = await poll(job.id);
        states.push(stateAt(p.job, p.now));
      }
      expect(states).toEqual(["queued", "processing", "completed"]);
      expect((await store.clock()).frozen).toBe(true);
      const resumed = await store.resume();
      expect(resumed.frozen).toBe(false);
    });

    it("expires a job 24 hours after it finished: polls 404 and the list forgets it", async () => {
      const { job } = await submit();
      await store.advance(job.expiresAt - job.createdAt);
      expect(await code(() => poll(job.id))).toBe("NOT_FOUND");
      await store.claimDue(100);
      expect((await store.jobs({})).total).toBe(0);
    });

    it("hands each due webhook to exactly one claimer", async () => {
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push((await submit("tryon", { ...TRYON, webhook_url: "https://hooks.example.com/x" })).job.id);
      expect(await store.claimDue(100)).toEqual([]);
      await store.advance(60_000);
      const claims = await Promise.all([store.claimDue(100), store.claimDue(100), store.claimDue(100)]);
      expect(claims.flat().map((d) => d.job.id).sort()).toEqual([...ids].sort());
      expect(await store.claimDue(100)).toEqual([]);
    });

    it("records deliveries and their outcome, listed per job", async () => {
      const { job } = await submit("tryon", { ...TRYON, webhook_url: "https://hooks.example.com/x" });
      const d = await store.addDelivery({
        jobId: job.id, key: K, url: "https://hooks.example.com/x", event: "job.completed", redeliveryOf: null, tamper: null, requestHeaders: { a: "b" },
        requestBody: "{}", startedAt: 1, outcome: "pending", responseStatus: null, error: null, durationMs: null, replica: "test:1",
      });
      await store.settleDelivery(d.id, { outcome: "delivered", responseStatus: 204, error: null, durationMs: 12 });
      expect(await store.delivery(d.id)).toMatchObject({ outcome: "delivered", responseStatus: 204 });
      expect((await store.deliveries({ jobId: job.id })).map((x) => x.id)).toEqual([d.id]);
      expect(await store.deliveries({ jobId: "other" })).toEqual([]);
    });
  });

  describe("the journal, counters and reset", () => {
    const request = (path: string, status: number, key: string | null): RequestEventData => ({
      time_ms: 1, wall_ms: 1, method: "GET", path, query: "", host: null, status, key, operation: null, job_id: null, model_id: null, job_status: null, error_message: null,
      error_code: null, retry_after_s: null, body_hash: null, credits_used: null, scenario: null, fault: null, response_lost: false, duration_ms: 1, replica: "test:1",
    });

    it("keeps the newest requests first, filters them, and forgets the oldest past its size", async () => {
      for (let i = 0; i < 60; i++) store.recordRequest(request(`/api/v1/r${i}`, i % 2 ? 404 : 200, i % 3 ? K : null));
      await new Promise((r) => setTimeout(r, 50));
      const all = await store.requests({ limit: 1000 });
      expect(all).toHaveLength(50);
      expect(all[0]!.kind === "request" && all[0]!.data.path).toBe("/api/v1/r59");
      const errors = await store.requests({ limit: 1000, statusClass: "4xx", key: K });
      expect(errors.every((e) => e.kind === "request" && e.data.status === 404 && e.data.key === K)).toBe(true);
    });

    it("filters the journal by fault, or by any fault", async () => {
      store.recordRequest({ ...request("/api/v1/a", 200, K), fault: "latency" });
      store.recordRequest({ ...request("/api/v1/b", 0, K), fault: "reset" });
      store.recordRequest(request("/api/v1/c", 200, K));
      await new Promise((r) => setTimeout(r, 50));
      const paths = async (fault: string) => (await store.requests({ limit: 10, fault })).map((e) => e.kind === "request" && e.data.path);
      expect(await paths("any")).toEqual(["/api/v1/b", "/api/v1/a"]);
      expect(await paths("reset")).toEqual(["/api/v1/b"]);
    });

    it("counts in shared counters", async () => {
      await store.incr("faults", "reset");
      expect(await store.incr("faults", "reset", 2)).toBe(3);
      expect(await store.counters("faults")).toEqual({ reset: 3 });
    });

    it("resets one key's state, or everything", async () => {
      const a = await submit("tryon", TRYON, K);
      const b = await submit("tryon", TRYON, L);
      await store.reset(K);
      expect(await code(() => poll(a.job.id))).toBe("NOT_FOUND");
      expect(await code(() => poll(b.job.id, L))).toBe("ok");
      expect(await credits(K)).toBe(1000);
      await store.reset();
      expect((await store.jobs({})).total).toBe(0);
      expect(await credits(L)).toBe(1000);
    });
  });
});
