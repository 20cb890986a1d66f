import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { MemoryStore } from "../src/store/memory/store.js";
import type { MockServer } from "../src/server.js";
import { control, startMock, TestClient } from "./helpers/client.js";

const ALICE = "ae_test_alice0001";
const BOB = "ae_live_bob000001";
const STRANGER = "ae_test_stranger01";
const VISION = { model_id: "moondream2", image_url: "https://example.com/p.jpg" }; // 2 credits
const INVALID_KEY = { code: "UNAUTHORIZED", error: "Invalid API key" };

const dir = mkdtempSync(join(tmpdir(), "ae-key-policy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keysFile = (text: string) => {
  const path = join(dir, `keys-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
};

let server: MockServer;
afterEach(() => server?.close());
const as = (key: string) => new TestClient(server, key);
const memory = () => server.mock.store as MemoryStore;
/** A distinct well-formed key per index, as a flood would send. */
const floodKey = (i: number) => `ae_test_flood${String(i).padStart(8, "0")}`;

describe("--keys FILE over HTTP", () => {
  it("serves the listed keys with their starting credits and answers any other key 401 on submit and poll, as the live API does", async () => {
    ({ server } = await startMock({ keys: keysFile(`${ALICE}: 500\n${BOB}: 1\n`) }));
    const ok = await as(ALICE).post("/vision", VISION);
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ credits_used: 2, credits_left: 498 });

    const submit = await as(STRANGER).post("/vision", VISION);
    expect([submit.status, submit.body]).toEqual([401, INVALID_KEY]);
    // Even with the job id of a listed key's job: the key is refused before the job is looked up.
    const poll = await as(STRANGER).poll(ok.body.poll_url);
    expect([poll.status, poll.body]).toEqual([401, INVALID_KEY]);
    const unknownJob = await as(STRANGER).get("/jobs/no-such-job?model_id=moondream2");
    expect([unknownJob.status, unknownJob.body]).toEqual([401, INVALID_KEY]);

    // A listed key with too few credits is a 402, not a 401: it exists.
    expect((await as(BOB).post("/vision", VISION)).body.code).toBe("INSUFFICIENT_CREDITS");
    const accounts = (await control(server, "GET", "/accounts")).body.accounts as { credits: number }[];
    expect(accounts.map((a) => a.credits).sort((a, b) => a - b)).toEqual([1, 498]);
    expect((await control(server, "GET", `/accounts/${STRANGER}`)).status).toBe(404);
    expect(server.requests(3).requests.map((r) => r.status)).toEqual([402, 401, 401]);
  });

  it("lets the control API add a key at run time, and a full reset goes back to exactly the file", async () => {
    ({ server } = await startMock({ keys: keysFile(`- ${ALICE}\n`), credits: 40 }));
    expect((await control(server, "PUT", `/accounts/${STRANGER}`, { credits: 10 })).status).toBe(200);
    expect((await as(STRANGER).post("/vision", VISION)).body.credits_left).toBe(8);
    expect((await as(ALICE).post("/vision", VISION)).body.credits_left).toBe(38);
    await control(server, "DELETE", `/accounts/${ALICE}`);
    expect((await as(ALICE).post("/vision", VISION)).status).toBe(401);

    await control(server, "POST", "/reset");
    expect((await as(ALICE).post("/vision", VISION)).body.credits_left).toBe(38);
    expect((await as(STRANGER).post("/vision", VISION)).body).toEqual(INVALID_KEY);
  });
});

describe("--max-keys over HTTP", () => {
  it("refuses a new key past the cap with a JSON error naming --max-keys, while the keys it has keep working", async () => {
    ({ server } = await startMock({ maxKeys: 2 }));
    for (const k of [ALICE, BOB]) expect((await as(k).post("/vision", VISION)).status).toBe(202);
    const past = await as(STRANGER).post("/vision", VISION);
    expect(past.status).toBe(401);
    expect(past.headers["content-type"]).toMatch(/^application\/json/);
    expect(past.body.code).toBe("UNAUTHORIZED");
    expect(past.body.error).toBe("Key limit reached: this mock creates at most 2 accounts (--max-keys). Reuse a key, reset the mock, or raise --max-keys.");
    expect((await as(ALICE).post("/vision", VISION)).body.credits_left).toBe(996);
    // Reading costs nothing, so a key past the cap may still poll (and finds nothing).
    expect((await as(STRANGER).get("/jobs/no-such-job?model_id=moondream2")).status).toBe(404);
    expect((await control(server, "GET", "/accounts")).body.accounts).toHaveLength(2);

    // Deleting an account frees its place.
    expect((await control(server, "DELETE", `/accounts/${BOB}`)).status).toBe(204);
    expect((await as(STRANGER).post("/vision", VISION)).status).toBe(202);
  });
});

describe("reads by unknown keys", () => {
  it("create nothing: a flood of polls by distinct keys leaves /__mock/accounts empty and no rate-limit window behind", async () => {
    ({ server } = await startMock());
    const keys = Array.from({ length: 1000 }, (_, i) => floodKey(i));
    for (let i = 0; i < keys.length; i += 100) {
      const batch = await Promise.all(keys.slice(i, i + 100).map((k) => as(k).get(`/jobs/job_${k.slice(-8)}?model_id=moondream2`)));
      for (const r of batch) expect([r.status, r.body.code]).toEqual([404, "NOT_FOUND"]);
    }
    expect((await control(server, "GET", "/accounts")).body).toEqual({ accounts: [] });
    // An unknown key's account view is what it would start with, and reading it creates nothing either.
    expect((await control(server, "GET", `/accounts/${keys[7]}`)).body).toMatchObject({ credits: 1000, jobs: 0, provisioned: false });
    expect((await control(server, "GET", "/accounts")).body.accounts).toEqual([]);
    expect(memory().accountsById.size).toBe(0);
    expect(memory().limiter.windows).toBe(0);
  });

  it("create nothing when a submit is refused before any charge (402 with --credits 0, 400)", async () => {
    ({ server } = await startMock({ credits: 0, maxKeys: 5 }));
    for (let i = 0; i < 20; i++) {
      const r = await as(floodKey(i)).post("/vision", VISION);
      expect([r.status, r.body.code]).toEqual([402, "INSUFFICIENT_CREDITS"]);
    }
    expect((await as(floodKey(99)).post("/vision", { ...VISION, model_id: "nope" })).status).toBe(400);
    expect((await control(server, "GET", "/accounts")).body.accounts).toEqual([]);
    // None of them took a place under --max-keys: a key the admin funds still gets in.
    await control(server, "PUT", `/accounts/${ALICE}`, { credits: 10 });
    expect((await as(ALICE).post("/vision", VISION)).status).toBe(202);
  });

  it("create nothing when the charge is refunded (a 502 submission_error)", async () => {
    ({ server } = await startMock({ maxKeys: 1 }));
    for (let i = 0; i < 5; i++) {
      const r = await as(floodKey(i)).post("/vision", VISION, { headers: { "X-Mock-Scenario": "submission_error" } });
      expect([r.status, r.body.code]).toEqual([502, "SUBMISSION_ERROR"]);
    }
    expect((await control(server, "GET", "/accounts")).body.accounts).toEqual([]);
    expect((await as(ALICE).post("/vision", VISION)).status).toBe(202);
  });

  it("drop a rate-limit window once it has emptied, for keys that never call again", async () => {
    ({ server } = await startMock());
    server.freeze();
    for (let i = 0; i < 1000; i++) await as(floodKey(i)).post("/vision", VISION);
    expect(memory().limiter.windows).toBe(1000);
    server.advance(61_000);
    // One more call by one key: the windows of the 1,000 silent keys are swept, not kept forever.
    await as(ALICE).post("/vision", VISION);
    expect(memory().limiter.windows).toBeLessThanOrEqual(1);
  });
});
