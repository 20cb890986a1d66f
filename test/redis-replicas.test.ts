import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebhookReceiver, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { startRedisServer, type RedisServer } from "../scripts/redis-server.mjs";
import { call, pollPath, startReplica, TRYON, type Replica } from "./helpers/replicas.js";

/**
 * Three replicas, each a real `artemotion-mock serve` child process, on one
 * private redis-server: what one replica does, the others see (balances,
 * jobs, rate windows, armings, the clock, webhooks, the journal, events).
 */
let redis: RedisServer;
let replicas: Replica[];
let receiver: WebhookReceiver;
const [A, B, C] = [0, 1, 2];
const at = (i: number) => replicas[i % 3]!.origin;

beforeAll(async () => {
  redis = await startRedisServer();
  replicas = await Promise.all(["r1", "r2", "r3"].map((name) => startReplica(redis.url, "replicas", name)));
  receiver = await createWebhookReceiver();
}, 60_000);

afterAll(async () => {
  await Promise.all((replicas ?? []).map((r) => r.stop()));
  await receiver?.close();
  await redis?.stop();
});

const control = (i: number, path: string, body?: unknown, method?: string) => call(at(i), `/__mock${path}`, { body, method });
const submit = (i: number, key: string, body: Record<string, unknown> = TRYON) => call(at(i), "/api/v1/tryon", { key, body });
const poll = (i: number, key: string, jobId: string) => call(at(i), pollPath(jobId), { key });

describe("three replicas on one Redis", () => {
  it("accepts exactly 4 of 60 concurrent submits spread over the replicas on a balance for 4, and leaves the exact balance", async () => {
    const key = "ae_test_replicas0001";
    expect((await control(A, `/accounts/${key}`, { credits: 4 * 15 + 7 }, "PUT")).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => submit(i, key)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(4);
    expect(statuses.filter((s) => s === 402)).toHaveLength(56);
    for (const i of [A, B, C]) expect((await control(i, `/accounts/${key}`)).body).toMatchObject({ credits: 7, jobs: 4 });
  });

  it("answers the 11th try-on submit within a minute with 429 whichever replica serves it", async () => {
    await control(A, "/clock/freeze", {});
    const key = "ae_test_replicas0002";
    const first = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(i, key)));
    expect(first.map((a) => a.status)).toEqual(Array(10).fill(202));
    for (const i of [A, B, C]) {
      const eleventh = await submit(i, key);
      expect(eleventh.status).toBe(429);
      expect(eleventh.body.code).toBe("RATE_LIMIT_EXCEEDED");
      expect(Number(eleventh.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });

  it("completes a job polled on replica C when the clock is advanced on replica A", async () => {
    await control(B, "/clock/freeze", {});
    const key = "ae_test_replicas0003";
    const { body } = await submit(B, key);
    expect((await poll(C, key, body.job_id)).body.status).toBe("queued");
    await control(A, "/clock/advance", { ms: 60_000 });
    expect((await poll(C, key, body.job_id)).body.status).toBe("completed");
  });

  it("delivers a job's webhook exactly once, whichever replicas look for due work", async () => {
    await control(A, "/clock/freeze", {});
    const key = "ae_test_replicas0004";
    const { body } = await submit(A, key, { ...TRYON, webhook_url: receiver.url });
    await control(B, "/clock/advance", { ms: 60_000 });
    const got = await receiver.waitFor((d) => (d.body as { request_id?: string }).request_id === body.job_id, 10_000);
    expect(got.headers["x-artemotion-event"]).toBe("job.completed");
    // Every replica looks for due work once more after the delivery settled: none sends it again.
    let records: { outcome: string; replica: string }[] = [];
    for (let i = 0; i < 50 && !(records.length === 1 && records[0]!.outcome !== "pending"); i++) {
      records = (await control(C, `/webhooks?job_id=${body.job_id}`)).body.deliveries;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const i of [A, B, C]) await control(i, "/clock/advance", { ms: 0 });
    records = (await control(C, `/webhooks?job_id=${body.job_id}`)).body.deliveries;
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "delivered" });
    expect(["r1", "r2", "r3"]).toContain(records[0]!.replica);
    expect(receiver.deliveries.filter((d) => (d.body as { request_id?: string }).request_id === body.job_id)).toHaveLength(1);
  });

  it("fails exactly 2 of 5 submits spread over the replicas when job_failed is armed with count 2", async () => {
    await control(A, "/clock/freeze", {});
    const key = "ae_test_replicas0005";
    expect((await control(B, "/scenarios", { scenario: "job_failed", key, count: 2 })).status).toBe(201);
    const jobs = await Promise.all(Array.from({ length: 5 }, (_, i) => submit(i, key)));
    expect(jobs.map((j) => j.status)).toEqual(Array(5).fill(202));
    await control(C, "/clock/advance", { ms: 60_000 });
    const states = await Promise.all(jobs.map((j, i) => poll(i + 1, key, j.body.job_id)));
    expect(states.map((s) => s.body.status).sort()).toEqual(["completed", "completed", "completed", "failed", "failed"]);
    expect((await control(A, "/scenarios")).body.armed).toEqual([]);
  });

  it("shows the requests of all three replicas in the journal read from any of them, each entry naming its replica", async () => {
    const key = "ae_test_replicas0006";
    for (const i of [A, B, C]) await call(at(i), "/api/v1/jobs/nope?model_id=moondream2", { key });
    // Journal writes do not hold up the answer: wait until all three are in.
    let lists: { id: string; replica: string }[][] = [];
    for (let t = 0; t < 50; t++) {
      lists = await Promise.all([A, B, C].map(async (i) => (await control(i, `/requests?limit=3&key=${key}`)).body.requests));
      if (lists.every((l) => l.length === 3)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const list of lists) {
      expect(list.map((e) => e.replica).sort()).toEqual(["r1", "r2", "r3"]);
      expect(list.map((e) => e.id)).toEqual(lists[0]!.map((e) => e.id));
    }
  });

  it("streams every replica's events to an SSE client of any replica", async () => {
    const key = "ae_test_replicas0007";
    const seen: { kind: string; replica: string; data: { job_id?: string } }[] = [];
    const req = http.get(`${at(C)}/__mock/events?kinds=job`);
    const connected = new Promise<void>((resolve) => {
      req.on("response", (res) => {
        res.setEncoding("utf8");
        let buf = "";
        res.on("data", (chunk: string) => {
          buf += chunk;
          for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = /^data: (.*)$/m.exec(block);
            if (data) seen.push(JSON.parse(data[1]!));
          }
        });
        resolve();
      });
    });
    await connected;
    // The replica starts reading the shared stream when its first subscriber arrives, from then on:
    // submit on A until C relays one of them (the first may come before C's reader has begun).
    const ids: string[] = [];
    for (let t = 0; t < 100 && !seen.some((e) => ids.includes(e.data.job_id ?? "")); t++) {
      if (t % 10 === 0) ids.push((await submit(A, key)).body.job_id);
      await new Promise((r) => setTimeout(r, 20));
    }
    req.destroy();
    expect(seen.find((e) => ids.includes(e.data.job_id ?? ""))).toMatchObject({ kind: "job", replica: "r1" });
  });

  it("lets the doctor of any replica judge what the others served", async () => {
    const key = "ae_test_replicas0008";
    const { body } = await submit(A, key);
    // Two polls a few ms apart, on B: far under the docs' 2–5 s.
    await poll(B, key, body.job_id);
    await poll(B, key, body.job_id);
    let found: { rule: string }[] = [];
    for (let t = 0; t < 100 && !found.some((f) => f.rule === "poll-too-fast"); t++) {
      found = (await control(C, `/doctor?key=${key}`)).body.findings ?? [];
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(found.map((f) => f.rule)).toContain("poll-too-fast");
  });
});
