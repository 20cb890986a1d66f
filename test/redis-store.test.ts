import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveSubmit } from "../src/domain/submit-rules.js";
import { resolveOptions } from "../src/options.js";
import { createMockServer, type MockServer } from "../src/server.js";
import { MemoryStore } from "../src/store/memory/store.js";
import { openStore, StoreOpenError } from "../src/store/open.js";
import { RedisStore } from "../src/store/redis/store.js";
import type { StoreConfig } from "../src/store/types.js";
import { startRedisServer, type RedisServer } from "../scripts/redis-server.mjs";
import { TestClient, TRYON_BODY } from "./helpers/client.js";
import { storeConfig } from "./helpers/stores.js";

/** What only the Redis store has: namespaces, seeded ids from a shared counter, scripts Redis forgot, leases, start-up checks. */
let redis: RedisServer;
let admin: ReturnType<typeof createClient>;
const stores: RedisStore[] = [];
const K = "ae_test_redisstore01";
const TRYON = { person_image_url: "https://example.com/p.jpg", garment_image_url: "https://example.com/g.jpg" };

beforeAll(async () => {
  redis = await startRedisServer();
  admin = createClient({ url: redis.url });
  await admin.connect();
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await admin?.close();
  await redis?.stop();
});

async function open(config: Partial<StoreConfig> = {}, namespace = `t-${randomUUID().slice(0, 8)}`, leaseMs?: number): Promise<RedisStore> {
  const store = new RedisStore(redis.url, namespace, storeConfig(config), { leaseMs });
  await store.open();
  stores.push(store);
  return store;
}

const submit = (store: RedisStore | MemoryStore, body: Record<string, unknown> = TRYON) =>
  store.submit({ key: K, request: resolveSubmit("tryon", body), scenario: null, origin: "http://127.0.0.1:4010" }, { scenario: null });

describe("the Redis store", () => {
  it("keeps two namespaces on one Redis apart", async () => {
    const a = await open();
    const b = await open();
    await submit(a);
    expect((await b.jobs({})).total).toBe(0);
    expect((await b.account(K))!.credits).toBe(1000);
    await b.reset();
    expect((await a.jobs({})).total).toBe(1);
    const keys = await admin.keys("*");
    expect(keys.every((k) => k.startsWith(a.prefix) || k.startsWith(b.prefix))).toBe(true);
  });

  it("gives a seeded mock the memory store's job ids for the same accepted submits, and skips one for each refused submit", async () => {
    const memory = new MemoryStore(storeConfig({ seed: 42 }));
    const store = await open({ seed: 42 });
    const ids = async (s: RedisStore | MemoryStore) => [(await submit(s)).job.id, (await submit(s)).job.id];
    expect(await ids(store)).toEqual(await ids(memory));
    await store.setAccount(K, 0);
    await expect(submit(store)).rejects.toMatchObject({ code: "INSUFFICIENT_CREDITS" });
    await store.setAccount(K, 1000);
    // Redis takes the id before its script decides (the job's plan needs it): the refused submit used one up.
    expect((await submit(store)).job.id).not.toBe((await submit(memory)).job.id);
  });

  it("runs its scripts again after Redis forgot them (SCRIPT FLUSH, as after a restart)", async () => {
    const store = await open();
    await admin.scriptFlush();
    expect((await submit(store)).creditsLeft).toBe(985);
  });

  it("records a claimed webhook as abandoned when its claimer never records the delivery before the lease runs out", async () => {
    const store = await open({}, undefined, 150);
    await store.freeze();
    const { job } = await submit(store, { ...TRYON, webhook_url: "https://hooks.example.com/x" });
    await store.advance(60_000);
    expect(await store.claimDue(10)).toHaveLength(1);
    expect(await store.sweepAbandoned()).toBe(0);
    // The lease runs on Redis' wall clock (TIME), which a test cannot move.
    await new Promise((r) => setTimeout(r, 250));
    expect(await store.sweepAbandoned()).toBe(1);
    expect(await store.sweepAbandoned()).toBe(0);
    expect(await store.deliveries({ jobId: job.id })).toMatchObject([
      { jobId: job.id, key: K, url: "https://hooks.example.com/x", event: "job.completed", outcome: "abandoned", replica: "test:1", requestHeaders: {}, redeliveryOf: null },
    ]);
  });

  it("sweeps neither a webhook its claimer holds back (webhook_delay) nor a pending attempt given longer to settle (webhook_timeout)", async () => {
    const store = await open({}, undefined, 150);
    await store.freeze();
    const held = (await submit(store, { ...TRYON, webhook_url: "https://hooks.example.com/held" })).job;
    const slow = (await submit(store, { ...TRYON, webhook_url: "https://hooks.example.com/slow" })).job;
    await store.advance(60_000);
    expect((await store.claimDue(10)).map((d) => d.job.id).sort()).toEqual([held.id, slow.id].sort());
    await store.releaseClaim(held.id);
    const pending = await store.addDelivery(
      { jobId: slow.id, key: K, url: "https://hooks.example.com/slow", event: "job.completed", redeliveryOf: null, tamper: null, requestHeaders: {}, requestBody: "{}", startedAt: 0, outcome: "pending", responseStatus: null, error: null, durationMs: null, replica: "test:1" },
      10_000,
    );
    // Past the 150 ms lease (Redis' TIME, which a test cannot move), inside the 10 s hold.
    await new Promise((r) => setTimeout(r, 250));
    expect(await store.sweepAbandoned()).toBe(0);
    expect(await store.deliveries({ jobId: held.id })).toEqual([]);
    expect((await store.deliveries({ jobId: slow.id })).map((d) => [d.id, d.outcome])).toEqual([[pending.id, "pending"]]);
  });

  it("gives a --keys FILE list back to a Redis that came back empty, once reconnected", async () => {
    const store = await open({ keys: new Map([[K, 30]]), replica: "reseed:1" });
    await admin.flushAll();
    await expect(store.authorize(K)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const line = String(await admin.sendCommand(["CLIENT", "LIST"])).split("\n").find((l) => l.includes("name=artemotion-mock:reseed:1 "));
    await admin.sendCommand(["CLIENT", "KILL", "ID", /id=(\d+)/.exec(line!)![1]!]);
    let answer = "";
    for (let t = 0; t < 100 && answer !== "ok"; t++) {
      answer = await store.authorize(K).then(() => "ok", (e: { code?: string }) => e.code ?? "error");
      if (answer !== "ok") await new Promise((r) => setTimeout(r, 20));
    }
    expect(answer).toBe("ok");
    expect((await store.account(K))!.credits).toBe(30);
  });

  it("leaves no event-stream connection behind when closed while that connection was still opening", async () => {
    const store = await open({ replica: "evclose:1" });
    const unsubscribe = store.events.subscribe(() => {});
    await store.close();
    unsubscribe();
    const readers = async () => String(await admin.sendCommand(["CLIENT", "LIST"])).split("\n").filter((l) => /name=\S*evclose:1\S*:events /.test(l)).length;
    // Real connections, real time: watch for up to 1 s for the reader to show up, then for it to go.
    let seen = 0;
    for (let t = 0; t < 50 && seen === 0; t++) (seen = await readers()) || (await new Promise((r) => setTimeout(r, 20)));
    for (let t = 0; t < 50 && (await readers()) > 0; t++) await new Promise((r) => setTimeout(r, 20));
    expect(await readers()).toBe(0);
  });

  it("warns at start when Redis may evict keys (maxmemory-policy other than noeviction)", async () => {
    await admin.configSet("maxmemory-policy", "allkeys-lru");
    try {
      const store = await open();
      expect(store.warnings.join("\n")).toContain("maxmemory-policy allkeys-lru");
    } finally {
      await admin.configSet("maxmemory-policy", "noeviction");
    }
    expect((await open()).warnings).toEqual([]);
  });

  it("fails to open with a message naming the URL, its password hidden", async () => {
    const options = resolveOptions({ store: "redis://:hunter22@127.0.0.1:1/3" });
    const e = await openStore(options, "test:1").then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(StoreOpenError);
    expect((e as Error).message).toContain("redis://:***@127.0.0.1:1/3");
    expect((e as Error).message).not.toContain("hunter22");
  });

  it("serves the public API through createMockServer, every answer matching the spec, control methods as promises", async () => {
    const server = await createMockServer({ store: redis.url, namespace: `t-${randomUUID().slice(0, 8)}`, seed: 3 });
    try {
      const api = new TestClient(server as unknown as MockServer, K);
      await server.freeze();
      const submitted = await api.post("/tryon", { ...TRYON_BODY });
      expect(submitted.status).toBe(202);
      expect((await api.poll(submitted.body.poll_url)).body).toMatchObject({ status: "queued", queue_position: expect.any(Number) });
      await server.advance(60_000);
      const done = await api.poll(submitted.body.poll_url);
      expect(done.body.status).toBe("completed");
      const image = await fetch(done.body.images[0]);
      expect([image.status, image.headers.get("content-type")]).toEqual([200, "image/png"]);
      expect((await server.getAccount(K)).credits).toBe(985);
      expect(server.health()).toMatchObject({ status: "ok", store: { kind: "redis", status: "ok" } });
    } finally {
      await server.close();
    }
  });
});
