import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebhookReceiver, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { startRedisServer, type RedisServer } from "../scripts/redis-server.mjs";
import { call, pollPath, startReplica, TRYON, type Answer, type Replica } from "./helpers/replicas.js";

/**
 * Crashes, with real processes: replicas killed with SIGKILL mid-load and
 * mid-delivery, all replicas restarted, and Redis itself stopped and
 * restarted under a serving replica. Redis keeps an append-only file here,
 * since one test is about what survives its restart.
 */
let redis: RedisServer;
let dir: string;
const started: Replica[] = [];
const receivers: WebhookReceiver[] = [];
const LOAD_FLAGS = ["--rate-limits", "off", "--credits", "1000000", "--timing", "fast"];
const START = 1_000_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "artemotion-redis-crash-"));
  redis = await startRedisServer({ dir, appendonly: true });
});

afterAll(async () => {
  await Promise.all(started.map((r) => r.crash()));
  await Promise.all(receivers.map((r) => r.close()));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function replicas(namespace: string, names: string[], extra: string[] = LOAD_FLAGS): Promise<Replica[]> {
  const rs = await Promise.all(names.map((n) => startReplica(redis.url, namespace, n, extra)));
  started.push(...rs);
  return rs;
}

/** `total` requests, `concurrency` at a time: submits, and polls of jobs already accepted; a refused connection moves on to the next replica, as a load balancer would. */
async function load(targets: () => string[], key: string, total: number, concurrency: number, seen: (a: Answer, op: string) => void, accepted: string[]) {
  let next = 0;
  const one = async (n: number) => {
    const submit = n % 2 === 0 || accepted.length === 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const list = targets();
      const origin = list[(n + attempt) % list.length]!;
      const a = submit
        ? await call(origin, "/api/v1/tryon", { key, body: TRYON })
        : await call(origin, pollPath(accepted[n % accepted.length]!), { key });
      seen(a, submit ? "submit" : "poll");
      if (a.status === 202) accepted.push(a.body.job_id);
      if (a.status !== 0) return;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) await one(next++);
  }));
}

describe("replicas that crash", () => {
  const key = "ae_test_crash0000001";
  const accepted: string[] = [];

  it("keeps answering on the others with no 5xx, and loses no accepted job, when one replica is killed with SIGKILL under load", async () => {
    const [r1, r2, r3] = await replicas("crash", ["c1", "c2", "c3"]);
    let alive = [r1!, r2!, r3!];
    let answered = 0;
    const fromSurvivors: Answer[] = [];
    const killed = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (answered < 80) return;
        clearInterval(timer);
        void r1!.crash().then(() => resolve());
      }, 5);
    });
    await load(() => alive.map((r) => r.origin), key, 400, 12, (a) => {
      answered++;
      if (r1!.child.exitCode !== null || r1!.child.signalCode !== null) {
        alive = [r2!, r3!];
        if (a.status !== 0) fromSurvivors.push(a);
      }
    }, accepted);
    await killed;
    expect(fromSurvivors.length).toBeGreaterThan(100);
    expect(fromSurvivors.filter((a) => a.status >= 500)).toEqual([]);
    expect(accepted.length).toBeGreaterThan(100);
    const polls = await Promise.all(accepted.map((id, i) => call([r2!, r3!][i % 2]!.origin, pollPath(id), { key })));
    expect(polls.filter((p) => p.status !== 200)).toEqual([]);
  });

  it("polls every job, and keeps the exact balance, after every replica is restarted", async () => {
    await Promise.all(started.splice(0).map((r) => r.stop()));
    const fresh = await replicas("crash", ["c4", "c5", "c6"]);
    const polls = await Promise.all(accepted.map((id, i) => call(fresh[i % 3]!.origin, pollPath(id), { key })));
    expect(polls.filter((p) => p.status !== 200)).toEqual([]);
    const account = (await call(fresh[0]!.origin, `/__mock/accounts/${key}`)).body;
    // Every job charged once, every charge a job (a submit cut by the kill either happened whole or not at all).
    expect(account.credits).toBe(START - 15 * account.jobs);
    expect(account.jobs).toBeGreaterThanOrEqual(accepted.length);
  });

  it("records a delivery as abandoned, never retried, once the lease of the replica that died while sending it runs out", async () => {
    const receiver = await createWebhookReceiver({ respond: () => "hang" });
    receivers.push(receiver);
    const flags = ["--delivery-lease", "1500", "--webhook-timeout", "1000"];
    const [sender] = await replicas("lease", ["d1"], flags);
    const k = "ae_test_crash0000002";
    await call(sender!.origin, "/__mock/clock/freeze", { body: {} });
    const { body } = await call(sender!.origin, "/api/v1/tryon", { key: k, body: { ...TRYON, webhook_url: receiver.url } });
    await call(sender!.origin, "/__mock/clock/advance", { body: { ms: 60_000 } });
    await receiver.waitFor(() => true, 10_000);
    await sender!.crash();
    const [sweeper] = await replicas("lease", ["d2"], flags);
    let records: { outcome: string; replica: string; error: string | null }[] = [];
    for (let t = 0; t < 100 && records[0]?.outcome !== "abandoned"; t++) {
      records = (await call(sweeper!.origin, `/__mock/webhooks?job_id=${body.job_id}`)).body.deliveries;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "abandoned", replica: "d1" });
    expect(records[0]!.error).toContain("not retried");
    expect(receiver.deliveries).toHaveLength(1);
  });
});

describe("Redis stopped and restarted under a serving replica", () => {
  it("answers 503 STORE_UNAVAILABLE during the outage, stays up, recovers within 5 s, and leaves no half-done submit", async () => {
    const key = "ae_test_outage000001";
    const [replica] = await replicas("outage", ["o1"]);
    const origin = replica!.origin;
    const answers: { a: Answer; t: number }[] = [];
    const accepted: string[] = [];
    let stop = false;
    const running = Promise.all(Array.from({ length: 6 }, async (_, w) => {
      for (let n = w; !stop; n += 6) {
        const a = n % 3 === 0 && accepted.length > 0
          ? await call(origin, pollPath(accepted[n % accepted.length]!), { key })
          : await call(origin, "/api/v1/tryon", { key, body: TRYON });
        if (a.status === 202) accepted.push(a.body.job_id);
        answers.push({ a, t: performance.now() });
      }
    }));
    const until = async (ok: () => boolean, ms: number) => {
      for (const end = performance.now() + ms; !ok() && performance.now() < end; ) await new Promise((r) => setTimeout(r, 10));
    };
    await until(() => accepted.length >= 30, 10_000);
    await redis.stop();
    const down = answers.length;
    await until(() => answers.length >= down + 30, 10_000);
    const health = (await call(origin, "/__mock/health")).body;
    redis = await startRedisServer({ port: redis.port, dir, appendonly: true });
    const back = performance.now();
    const before = accepted.length;
    await until(() => accepted.length > before, 10_000);
    const recovered = answers.find((x) => x.t > back && x.a.status === 202);
    stop = true;
    await running;

    expect(health).toMatchObject({ status: "degraded", store: { kind: "redis", status: "degraded" } });
    const outage = answers.slice(down).filter((x) => x.t < back).map((x) => x.a);
    expect(outage.length).toBeGreaterThanOrEqual(30);
    for (const a of answers.map((x) => x.a).filter((a) => a.status !== 200 && a.status !== 202)) {
      expect(a.status).toBe(503);
      expect(a.body).toMatchObject({ code: "STORE_UNAVAILABLE", error: expect.stringContaining("Redis") });
    }
    expect(recovered, "a submit accepted after Redis came back").toBeDefined();
    expect(recovered!.t - back).toBeLessThan(5_000);
    expect(replica!.child.exitCode).toBeNull();
    expect((await call(origin, "/__mock/health")).body.status).toBe("ok");
    const account = (await call(origin, `/__mock/accounts/${key}`)).body;
    expect(account.credits).toBe(START - 15 * account.jobs);
    const listed = new Set<string>((await call(origin, `/__mock/jobs?key=${key}&limit=100000`)).body.jobs.map((j: { job_id: string }) => j.job_id));
    expect(accepted.filter((id) => !listed.has(id))).toEqual([]);
  });
});
