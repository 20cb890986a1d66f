import { spawn } from "node:child_process";
import { once } from "node:events";
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findModel, type JobKind } from "../src/domain/catalog.js";
import { ApiError } from "../src/domain/errors.js";
import { jobToData } from "../src/domain/jobs.js";
import type { ScenarioName } from "../src/domain/scenarios.js";
import { resolveSubmit } from "../src/domain/submit-rules.js";
import { jobFromRow, jobRow } from "../src/store/file/records.js";
import { FileStore, type FileStoreOptions } from "../src/store/file/store.js";
import { MemoryStore } from "../src/store/memory/store.js";
import type { StoreConfig } from "../src/store/types.js";
import { storeConfig, tempStateDir } from "./helpers/stores.js";

const TRYON = { person_image_url: "https://example.com/p.jpg", garment_image_url: "https://example.com/g.jpg" };
const HOOKED = { ...TRYON, webhook_url: "https://hooks.example.com/x", webhook_secret: "whsec_file_store" };
const VISION = { image_url: "https://example.com/p.jpg", model_id: "moondream3-preview/caption" };
const K = "ae_test_filestore001";
const L = "ae_test_filestore002";
const T0 = Date.UTC(2026, 0, 1);

const dirs: string[] = [];
const stores: FileStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = tempStateDir();
  dirs.push(d);
  return d;
}

/** A wall clock the test moves by hand. */
function wall(start = T0) {
  let t = start;
  return { now: () => t, move: (ms: number) => (t += ms) };
}

async function openAt(dir: string, config: Partial<StoreConfig> = {}, opts: FileStoreOptions = {}, warnings: string[] = []): Promise<FileStore> {
  const store = new FileStore(dir, storeConfig(config), { log: { warn: (m) => warnings.push(m) }, ...opts });
  stores.push(store);
  await store.open();
  return store;
}

function submit(store: MemoryStore, kind: JobKind = "tryon", body: Record<string, unknown> = TRYON, key = K, scenario: ScenarioName | null = null) {
  return store.submit({ key, request: resolveSubmit(kind, structuredClone(body)), scenario, origin: "http://127.0.0.1:4010" }, { scenario: null });
}

const pollCode = (store: MemoryStore, jobId: string, key = K, modelId = "image-apps-v2/virtual-try-on") => {
  try {
    store.poll({ key, jobId, model: findModel(modelId)!, scenario: null });
    return "ok";
  } catch (e) {
    if (e instanceof ApiError) return e.code;
    throw e;
  }
};

/** Everything that must survive a restart (rate-limit windows and the journal need not). */
function durable(s: MemoryStore) {
  const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : 1);
  return {
    accounts: s.accountsById.list().map((a) => ({ ...a })).sort((a, b) => (a.key < b.key ? -1 : 1)),
    deleted: s.accountsById.deletedKeys().sort(),
    jobs: [...s.jobIndex.all()].map(jobToData).sort(byId),
    deliveries: s.deliveries({}).sort(byId),
    armed: s.armed(),
    clock: s.clockState.state(),
    seqs: { ids: s.idsDrawn, delivery: s.deliveryLog.lastSeq, arm: s.armings.lastId },
  };
}

function delivery(store: MemoryStore, jobId: string, key = K) {
  return store.addDelivery({
    jobId, key, url: HOOKED.webhook_url, event: "job.completed", redeliveryOf: null, tamper: null, requestHeaders: { "X-Test": "1" },
    requestBody: "{}", startedAt: 1, outcome: "pending", responseStatus: null, error: null, durationMs: null, replica: "test:1",
  });
}

/** Builds a state that uses every kind of durable change; returns the jobs' ids. */
function busyState(store: FileStore) {
  store.freeze();
  const a = submit(store, "tryon", HOOKED);
  const b = submit(store, "tryon", TRYON, K, "status_error");
  const c = submit(store, "vision", VISION, L);
  store.setAccount("ae_test_filestore003", 42);
  store.setAccount("ae_test_filestore004", 5);
  store.deleteAccount("ae_test_filestore004");
  expect(pollCode(store, b.job.id)).toBe("STATUS_ERROR");
  store.hideJob(c.job.id, 2);
  store.arm({ scenario: "job_failed", key: K, count: 3, phase: "submit", params: null });
  store.arm({ scenario: "stuck", key: null, count: 1, phase: "submit", params: null });
  expect(submit(store, "tryon", TRYON, L).job.scenario).toBe("stuck");
  store.advance(90_000);
  const d = delivery(store, a.job.id);
  store.settleDelivery(d.id, { outcome: "delivered", responseStatus: 204, error: null, durationMs: 7 });
  return { a: a.job.id, b: b.job.id, c: c.job.id };
}

describe("the file store across restarts", () => {
  it("keeps accounts, deleted keys, jobs, deliveries, armed scenarios, the clock and status-error counters after a close and reopen", async () => {
    const dir = newDir();
    const clock = wall();
    const first = await openAt(dir, { wallNow: clock.now });
    const ids = busyState(first);
    const before = durable(first);
    await first.close();

    const second = await openAt(dir, { wallNow: clock.now });
    expect(durable(second)).toEqual(before);
    expect(second.clock()).toEqual({ now: first.now(), frozen: true });
    expect(second.account(K)!.credits).toBe(970);
    expect(second.account("ae_test_filestore004")).toBeUndefined();
    // Two of the three status errors are left, then the job answers.
    expect([pollCode(second, ids.b), pollCode(second, ids.b), pollCode(second, ids.b)]).toEqual(["STATUS_ERROR", "STATUS_ERROR", "ok"]);
    expect([pollCode(second, ids.c, L, VISION.model_id), pollCode(second, ids.c, L, VISION.model_id), pollCode(second, ids.c, L, VISION.model_id)]).toEqual(["NOT_FOUND", "NOT_FOUND", "ok"]);
    expect(submit(second).job.scenario).toBe("job_failed");
    expect(second.armed()).toMatchObject([{ scenario: "job_failed", remaining: 2 }]);
  });

  it("keeps a running clock's offset: virtual time went on while the mock was down", async () => {
    const dir = newDir();
    const clock = wall();
    const first = await openAt(dir, { wallNow: clock.now });
    first.advance(3_600_000);
    await first.close();
    clock.move(5_000);
    const second = await openAt(dir, { wallNow: clock.now });
    expect(second.clock()).toEqual({ now: T0 + 3_600_000 + 5_000, frozen: false });
  });

  it("continues a seeded id sequence: the same ids and timelines as an uninterrupted run, none repeated", async () => {
    const clock = wall();
    const config = { seed: 11, wallNow: clock.now };
    const straight = new MemoryStore(storeConfig(config));
    const expected = Array.from({ length: 6 }, () => jobToData(submit(straight, "tryon", TRYON, K).job));

    const dir = newDir();
    const first = await openAt(dir, config);
    const got = Array.from({ length: 3 }, () => jobToData(submit(first).job));
    await first.close();
    const second = await openAt(dir, config);
    got.push(...Array.from({ length: 3 }, () => jobToData(submit(second).job)));
    expect(got).toEqual(expected);
  });

  it("never hands out a delivery or arming id twice, even after their records are gone", async () => {
    const dir = newDir();
    const first = await openAt(dir);
    const { job } = submit(first, "tryon", HOOKED);
    const d = delivery(first, job.id);
    first.settleDelivery(d.id, { outcome: "delivered", responseStatus: 200, error: null, durationMs: 1 });
    const a = first.arm({ scenario: "stuck", key: K, count: 1, phase: "submit", params: null });
    first.reset();
    await first.compact();
    await first.close();
    const second = await openAt(dir);
    const { job: again } = submit(second, "tryon", HOOKED);
    expect(delivery(second, again.id).id > d.id).toBe(true);
    expect(second.arm({ scenario: "stuck", key: K, count: 1, phase: "submit", params: null }).id).not.toBe(a.id);
  });

  it("marks a delivery still pending when the process died as abandoned, and never sends that job's webhook again", async () => {
    const dir = newDir();
    const first = await openAt(dir);
    first.freeze();
    const { job } = submit(first, "tryon", HOOKED);
    first.advance(job.finishedAt - job.createdAt);
    expect(first.claimDue(10).map((x) => x.job.id)).toEqual([job.id]);
    const d = delivery(first, job.id);
    // The process "dies" here: the log has the pending attempt, nothing settles it.
    await first.flush();
    const second = await openAt(dir);
    expect(second.delivery(d.id)).toMatchObject({ outcome: "abandoned", error: expect.stringContaining("stopped") });
    expect(second.claimDue(10)).toEqual([]);
  });

  it("drops jobs that expired while the mock was down", async () => {
    const dir = newDir();
    const clock = wall();
    const first = await openAt(dir, { wallNow: clock.now });
    const { job } = submit(first);
    await first.close();
    clock.move(job.expiresAt - job.createdAt);
    const second = await openAt(dir, { wallNow: clock.now });
    expect(second.jobs({}).total).toBe(0);
    expect(second.account(K)!.credits).toBe(985);
  });
});

describe("the state files", () => {
  const logs = (dir: string) => new FileStore(dir, storeConfig()).dir.logGens().map((g) => join(dir, `log-${String(g).padStart(6, "0")}.jsonl`));

  it("writes every kind of job, an unusual seed and a non-ASCII prompt in its row format and reads them back unchanged", async () => {
    const dir = newDir();
    const first = await openAt(dir, { seed: null });
    first.freeze();
    const jobs = [
      submit(first, "tryon", { ...HOOKED, garment_type: "bottom" }, K, "status_error").job,
      submit(first, "vision", { image_url: "https://example.com/p.jpg", model_id: "moondream3-preview/query", prompt: "Qu'est-ce que c'est ? 日本語 🧥" }, K, "nsfw").job,
      submit(first, "vision", { image_url: "https://example.com/p.jpg", model_id: "moondream2/object-detection", object: "jacket" }).job,
      submit(first, "generate", { prompt: "a red jacket", webhook_url: "https://hooks.example.com/g" }, L, "job_failed").job,
    ];
    const odd = { ...jobToData(jobs[0]!), seed: "hand:made" };
    expect(jobToData(jobFromRow(JSON.parse(JSON.stringify(jobRow(odd)))))).toEqual(odd);
    for (const job of jobs) expect(jobToData(jobFromRow(JSON.parse(JSON.stringify(jobRow(jobToData(job))))))).toEqual(jobToData(job));
    await first.compact();
    submit(first, "vision", { image_url: "https://example.com/p.jpg", model_id: "llava-next", prompt: "¿Qué lleva puesto?" });
    const before = durable(first);
    await first.close();
    const second = await openAt(dir, { seed: null });
    expect(durable(second)).toEqual(before);
  });

  it("keeps changes made after starting from a compacted state", async () => {
    const dir = newDir();
    const first = await openAt(dir);
    submit(first);
    // Nothing after the compaction: the next run's log is the first one after this snapshot.
    await first.compact();
    await first.close();
    const second = await openAt(dir);
    submit(second);
    await second.close();
    const third = await openAt(dir);
    expect(third.jobs({}).total).toBe(2);
    expect(third.account(K)!.credits).toBe(1000 - 2 * 15);
  });

  it("gives the same state when a log is replayed twice (its records are sets)", async () => {
    const dir = newDir();
    const first = await openAt(dir);
    busyState(first);
    first.reset(L);
    submit(first, "tryon", TRYON, L);
    const before = durable(first);
    await first.close();
    const [log] = logs(dir);
    appendFileSync(log!, readFileSync(log!));
    const second = await openAt(dir);
    expect(durable(second)).toEqual(before);
  });

  it.each([
    ["half a line", '{"t":"account","account":{"key":"ae_te'],
    ["a line of zero bytes (a tail the disk never wrote)", "\0".repeat(300) + "\n"],
  ])("skips a torn last line (%s) with a warning naming the file and line", async (_, tail) => {
    const dir = newDir();
    const first = await openAt(dir);
    busyState(first);
    const before = durable(first);
    await first.close();
    const [log] = logs(dir);
    const lines = readFileSync(log!, "utf8").split("\n").length;
    appendFileSync(log!, tail);
    const warnings: string[] = [];
    const second = await openAt(dir, {}, {}, warnings);
    expect(durable(second)).toEqual(before);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(log!);
    expect(warnings[0]).toContain(`from line ${lines}`);
    expect(second.lastLoad!.skipped).toBe(1);
  });

  it("refuses a log with an unreadable line before readable ones, naming the file and line", async () => {
    const dir = newDir();
    const first = await openAt(dir);
    busyState(first);
    await first.close();
    const [log] = logs(dir);
    const lines = readFileSync(log!, "utf8").split("\n");
    lines.splice(3, 0, "{not json");
    writeFileSync(log!, lines.join("\n"));
    await expect(openAt(dir)).rejects.toThrow(`${log} line 4 is unreadable`);
  });

  it("cuts a line torn by a short write (a full disk) before retrying, so the state still opens with every change", async () => {
    const dir = newDir();
    const store = await openAt(dir);
    submit(store);
    await store.flush();
    // A full disk cannot be made here safely: the next append really writes 40 % of its text, then fails as ENOSPC would.
    const probe = await open(join(dir, "probe"), "w");
    const proto = Object.getPrototypeOf(probe) as { appendFile: (data: string | Uint8Array, ...rest: unknown[]) => Promise<void> };
    await probe.close();
    const real = proto.appendFile;
    let fail = true;
    proto.appendFile = async function (this: unknown, data, ...rest) {
      if (!fail || typeof data !== "string" || data.length < 100) return real.call(this, data, ...rest);
      fail = false;
      await real.call(this, data.slice(0, Math.floor(data.length * 0.4)), ...rest);
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    };
    try {
      submit(store);
      submit(store);
      await store.flush().catch(() => {});
      expect(fail, "the short write happened").toBe(false);
    } finally {
      proto.appendFile = real;
    }
    submit(store);
    await store.flush();
    const before = durable(store);
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    const reopened = await openAt(dir);
    expect(reopened.jobIndex.size).toBe(4);
    expect(durable(reopened)).toEqual(before);
  });

  it("logs a submit's charge in its job's line, so a crash that tears the line loses both, never one", async () => {
    const dir = newDir();
    const store = await openAt(dir);
    submit(store);
    await store.flush();
    const first = store.accountsById.get(K)!.credits;
    const { job } = submit(store);
    await store.flush();
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    const log = join(dir, readdirSync(dir).find((f) => f.startsWith("log-"))!);
    const lines = readFileSync(log, "utf8").trimEnd().split("\n");
    const last = lines.at(-1)!;
    expect(JSON.parse(last)).toMatchObject({ t: "job", account: { key: K, credits: first - 15 } });
    expect(lines.filter((l) => l.startsWith('{"t":"account"'))).toEqual([]);
    // kill -9 mid-write: the file ends inside the second submit's line.
    writeFileSync(log, lines.slice(0, -1).join("\n") + "\n" + last.slice(0, last.length >> 1));
    const reopened = await openAt(dir);
    expect(reopened.accountsById.get(K)!.credits).toBe(first);
    expect(reopened.jobIndex.get(job.id)).toBeUndefined();
    expect(reopened.jobIndex.size).toBe(1);
  });

  it("refuses a state directory a live process holds, and takes over the lock of a dead one", async () => {
    const dir = newDir();
    writeFileSync(join(dir, "lock"), `${process.ppid}\n`);
    await expect(openAt(dir)).rejects.toThrow(`in use by process ${process.ppid}`);
    const gone = spawn(process.execPath, ["-e", ""]);
    await once(gone, "exit");
    writeFileSync(join(dir, "lock"), `${gone.pid}\n`);
    const store = await openAt(dir);
    expect(readFileSync(join(dir, "lock"), "utf8").trim()).toBe(String(process.pid));
    await store.close();
    expect(existsSync(join(dir, "lock"))).toBe(false);
  });

  it("refuses a path that is a file", async () => {
    const dir = newDir();
    const file = join(dir, "state.json");
    writeFileSync(file, "{}");
    await expect(openAt(file)).rejects.toThrow(`${file} is a file`);
  });

  it("keeps the state through compactions under load, and a snapshot alone restores it", async () => {
    const dir = newDir();
    const clock = wall();
    const config = { seed: 5, rateLimits: false, defaultCredits: 1_000_000, wallNow: clock.now };
    // Small snapshot pieces: every piece is a write, and changes land between them.
    const live = await openAt(dir, config, { flushMs: 1, compactBytes: 20_000, snapshot: { jobsPerLine: 20, writeBytes: 2_000 } });
    live.freeze();
    const keys = Array.from({ length: 5 }, (_, i) => `ae_test_compact00${i}`);
    const open: { id: string; key: string }[] = [];
    for (let i = 0; i < 4_000; i++) {
      const key = keys[i % keys.length]!;
      const { job } = submit(live, "tryon", i % 3 ? TRYON : HOOKED, key, i % 7 === 0 ? "status_error" : null);
      open.push({ id: job.id, key });
      if (i % 5 === 0) pollCode(live, open[Math.floor(open.length / 2)]!.id, open[Math.floor(open.length / 2)]!.key);
      if (i % 97 === 0) live.setAccount(key, 500_000 + i);
      if (i % 211 === 0) live.arm({ scenario: "job_failed", key, count: 2, phase: "submit", params: null });
      if (i % 301 === 0) live.advance(30_000);
      if (i % 400 === 399) live.reset(keys[Math.floor(i / 400) % keys.length]!);
      if (i % 450 === 0) delivery(live, job.id, key);
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    for (const d of live.deliveries({})) if (d.outcome === "pending") live.settleDelivery(d.id, { outcome: "timeout", responseStatus: null, error: "t", durationMs: 8000 });
    await live.flush();
    const state = durable(live);
    expect(live.stats.compactions).toBeGreaterThanOrEqual(2);
    expect(state.jobs.length).toBeGreaterThan(500);

    // A second process reads the files as they are now: snapshot plus the logs since.
    const reader = await openAt(dir, config);
    expect(durable(reader)).toEqual(state);
    await reader.close();

    await live.compact();
    await live.close();
    expect(logs(dir)).toEqual([]);
    const fromSnapshot = await openAt(dir, config);
    expect(fromSnapshot.lastLoad!.logs).toEqual([]);
    expect(durable(fromSnapshot)).toEqual(state);
  });
});
