import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryStore } from "../src/store/memory/store.js";
import type { Store } from "../src/store/types.js";
import { createMockServer, type MockServer } from "../src/server.js";
import { control, TestClient, TRYON_BODY } from "./helpers/client.js";
import { storeConfig } from "./helpers/stores.js";
import { probe } from "./helpers/socket-probe.js";

/** Members that stay as they are; every other method answers with a promise, as a shared store (Redis) does. */
const SYNC_MEMBERS = new Set<PropertyKey>(["kind", "events", "config", "open", "close", "health", "now", "recordRequest"]);

/**
 * The memory store behind an asynchronous face: every operation resolves on
 * a later tick (a throw becomes a rejection). The fault paths written for
 * MaybePromise run here exactly as they will on the Redis store.
 */
function asyncFace(inner: MemoryStore): Store {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "sync") return false;
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || SYNC_MEMBERS.has(prop)) return typeof value === "function" ? value.bind(target) : value;
      return (...args: unknown[]) =>
        new Promise((resolve, reject) =>
          setImmediate(() => {
            try {
              resolve(value.apply(target, args));
            } catch (e) {
              reject(e);
            }
          }),
        );
    },
  }) as unknown as Store;
}

let server: MockServer<boolean>;
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

beforeAll(async () => {
  const store = asyncFace(new MemoryStore(storeConfig({ seed: 12, timing: "instant", journalSize: 1000 })));
  server = await createMockServer({ seed: 12, timing: "instant" }, { store });
  await server.freeze();
});
afterAll(() => server.close());

describe("faults on a store that answers with promises", () => {
  it("lost_response still creates, charges and journals the submit", async () => {
    const key = "ae_test_asyncstore01";
    const r = await probe(server.port, { method: "POST", path: "/api/v1/tryon", headers: { ...auth(key), "X-Mock-Fault": "lost_response" }, body: TRYON_BODY });
    expect([r.bytes.length, r.error]).toEqual([0, "ECONNRESET"]);
    expect((await server.getAccount(key)).credits).toBe(985);
    const entry = (await control(server as MockServer, "GET", `/requests?key=${key}`)).body.requests[0];
    expect(entry).toMatchObject({ status: 202, fault: "lost_response", response_lost: true });
  });

  it("poll_not_found on a submit hides the job, and an arming for the poll phase is used up", async () => {
    const key = "ae_test_asyncstore02";
    const api = new TestClient(server as MockServer, key);
    const job = (await api.post("/tryon", TRYON_BODY, { headers: { "X-Mock-Fault": "poll_not_found; polls=1" } })).body;
    const hidden = await api.poll(job.poll_url);
    expect([hidden.status, hidden.headers["x-mock-fault"]]).toEqual([404, "poll_not_found"]);
    await control(server as MockServer, "POST", "/scenarios", { fault: "malformed_json", phase: "poll", key });
    const garbled = await probe(server.port, { method: "GET", path: new URL(job.poll_url).pathname + new URL(job.poll_url).search, headers: auth(key) });
    expect([garbled.status, Number(garbled.headers["content-length"]) === garbled.body.length]).toEqual([200, true]);
    expect((await api.poll(job.poll_url)).body.status).toBe("completed");
  });

  it("chaos draws its ordinals from the store's counters, and its scenarios reach the store", async () => {
    const key = "ae_test_asyncstore03";
    const api = new TestClient(server as MockServer, key);
    await control(server as MockServer, "PUT", "/chaos", { rate: 1, profile: "overloaded", params: { latency: { ms: 1 } } });
    const faults = [];
    for (let i = 0; i < 12; i++) {
      const r = await api.post("/tryon", TRYON_BODY);
      faults.push(r.headers["x-mock-fault"]);
      if (r.headers["x-mock-fault"] === "submission_error") expect([r.status, r.body.code]).toEqual([502, "SUBMISSION_ERROR"]);
    }
    await control(server as MockServer, "PUT", "/chaos", { rate: 0 });
    expect(new Set(faults)).toEqual(new Set(["rate_limited", "submission_error", "latency; ms=1"]));
    const report = (await control(server as MockServer, "GET", "/faults")).body;
    expect(report.counts.filter((c: { phase: string }) => c.phase === "submit").reduce((n: number, c: { count: number }) => n + c.count, 0)).toBeGreaterThanOrEqual(12);
  });
});
