// npm run bench:file-restart: how long `serve --store file:DIR` takes to be
// ready with 100,000 jobs in its state directory (spawn to the ready line),
// beside a memory-store start. Two states: a snapshot alone (after a
// compaction), and the worst case a crash can leave, the snapshot plus a log
// as large as it (a log is compacted once it outgrows the snapshot). The state
// is built in-process through the store (the API would take minutes at the
// rate limits) on a frozen clock, so no webhook ever falls due; restarts run
// the real CLI. Worst case: a crash just before a compaction would start,
// with the snapshot plus a log of compactAt(snapshot) bytes (half the
// snapshot), plus 10 % for what arrives while the snapshot is being written.
// Writes bench/results/file-restart.json.
//
// Env: RESTART_JOBS (default 100000), RESTART_ROUNDS (default 3).
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { envNumber, killAllChildren, killChild, machine, mb, median, round2, startMockCli, table, writeResult } from "./lib.mjs";
import { compactAt, FileStore } from "../dist/store/file/store.js";
import { resolveSubmit } from "../dist/domain/submit-rules.js";

const JOBS = envNumber("RESTART_JOBS", 100_000);
const ROUNDS = envNumber("RESTART_ROUNDS", 3);
const TARGET_MS = 2_000;
const log = (s) => console.error(s);

const BODIES = [
  ["tryon", { person_image_url: "https://example.com/model.jpg", garment_image_url: "https://example.com/tshirt.jpg", garment_type: "top" }],
  ["vision", { image_url: "https://example.com/p.jpg", model_id: "moondream3-preview/query", prompt: "What is the person wearing?" }],
  ["generate", { prompt: "a red jacket on a mannequin", webhook_url: "https://hooks.example.com/artemotion", webhook_secret: "whsec_bench" }],
];

const sizeOf = (dir) => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);

/** Fills a state directory with `JOBS` jobs over 100 keys; returns its golden copies. */
async function buildState(root) {
  const dir = join(root, "state");
  const config = { seed: 42, timing: "realistic", rateLimits: false, defaultCredits: 1e9, keys: null, maxKeys: 100_000, journalSize: 10, replica: "bench", wallNow: Date.now };
  // No automatic compaction while building: the log of every creation is kept for the worst case.
  const store = new FileStore(dir, config, { compactBytes: Number.MAX_SAFE_INTEGER, log: { warn: log } });
  await store.open();
  // Frozen: no job finishes, so no restart sends the generate jobs' webhooks (hooks.example.com is never contacted).
  store.freeze();
  const started = performance.now();
  for (let i = 0; i < JOBS; i++) {
    const [kind, body] = BODIES[i % BODIES.length];
    store.submit({ key: `ae_test_restart${String(i % 100).padStart(5, "0")}`, request: resolveSubmit(kind, structuredClone(body)), scenario: null, origin: "http://127.0.0.1:4010" }, { scenario: null });
    if (i % 5_000 === 4_999) await store.flush();
  }
  await store.flush();
  log(`built ${JOBS} jobs in ${Math.round(performance.now() - started)} ms`);
  const [log1] = readdirSync(dir).filter((f) => f.startsWith("log-"));
  const logCopy = join(root, "creations.jsonl");
  cpSync(join(dir, log1), logCopy);
  await store.compact();
  await store.close();
  const snapshotBytes = statSync(join(dir, "snapshot.jsonl")).size;
  const snapshotOnly = join(root, "snapshot-only");
  cpSync(dir, snapshotOnly, { recursive: true });
  // The worst case: the first creations replayed again on top of the snapshot, as much log as a start can meet.
  const worst = join(root, "worst");
  cpSync(dir, worst, { recursive: true });
  const creations = readFileSync(logCopy);
  const limit = Math.min(creations.length, Math.ceil(compactAt(snapshotBytes) * 1.1));
  const cut = creations.lastIndexOf(0x0a, limit - 1) + 1;
  writeFileSync(join(worst, "log-000099.jsonl"), creations.subarray(0, cut));
  rmSync(logCopy);
  return { snapshotOnly, worst, snapshotBytes, logBytes: cut };
}

/** Spawn to ready line, on a fresh copy of `golden` each round (a start folds its logs into a new snapshot). */
async function timeStart(root, golden) {
  const times = [];
  const cpu = [];
  const loads = [];
  for (let r = 0; r < ROUNDS; r++) {
    const dir = join(root, `run-${r}`);
    rmSync(dir, { recursive: true, force: true });
    if (golden) cpSync(golden, dir, { recursive: true });
    const flags = golden ? ["--store", `file:${dir}`, "--log-level", "info"] : ["--log-level", "info"];
    const t = performance.now();
    const { child } = await startMockCli(flags);
    times.push(performance.now() - t);
    cpu.push(cpuMs(child.pid));
    killChild(child);
    rmSync(dir, { recursive: true, force: true });
    if (golden) loads.push(await timeOpen(golden, dir));
  }
  return {
    median_ms: Math.round(median(times)), max_ms: Math.round(Math.max(...times)), runs_ms: times.map(Math.round),
    cpu_median_ms: cpu.every((c) => c !== null) ? Math.round(median(cpu)) : null,
    open_median_ms: loads.length ? Math.round(median(loads)) : null,
  };
}

/**
 * CPU time (user + system) a child has used, from /proc (Linux): on a shared
 * machine the wall time to ready depends on the neighbours, this does not;
 * on an idle machine the two are close (a start is one thread, plus the GC's).
 */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** The store's own share: FileStore.open() in this process, on a fresh copy. */
async function timeOpen(golden, dir) {
  cpSync(golden, dir, { recursive: true });
  const config = { seed: 42, timing: "realistic", rateLimits: true, defaultCredits: 1000, keys: null, maxKeys: 100_000, journalSize: 10, replica: "bench", wallNow: Date.now };
  const store = new FileStore(dir, config, { log: { warn: log } });
  const t = performance.now();
  await store.open();
  const ms = performance.now() - t;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

async function main() {
  const root = mkdtempSync(join(tmpdir(), "artemotion-restart-"));
  try {
    const state = await buildState(root);
    log(`snapshot ${mb(state.snapshotBytes)} MB, worst-case log ${mb(state.logBytes)} MB`);
    const memory = await timeStart(root, null);
    const snapshot = await timeStart(root, state.snapshotOnly);
    const worst = await timeStart(root, state.worst);
    const rows = [
      ["memory store (no state)", null, memory.median_ms, memory.max_ms, memory.cpu_median_ms, null],
      [`file: snapshot of ${JOBS} jobs`, mb(state.snapshotBytes), snapshot.median_ms, snapshot.max_ms, snapshot.cpu_median_ms, snapshot.open_median_ms],
      [`file: snapshot + log (worst case)`, mb(state.snapshotBytes + state.logBytes), worst.median_ms, worst.max_ms, worst.cpu_median_ms, worst.open_median_ms],
    ];
    console.log(table(["start", "state MB", "ready median ms", "ready max ms", "CPU to ready ms", "open() median ms"], rows));
    console.log(`load average while measuring: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} on ${os.cpus().length} cores`);
    // Both verdicts: the wall time depends on what else the machine runs, the CPU time does not.
    const ok = worst.max_ms <= TARGET_MS;
    console.log(`target: ready in <= ${TARGET_MS} ms at ${JOBS} jobs: wall ${ok ? "met" : "NOT met"} (worst case, max of ${ROUNDS}); CPU to ready ${worst.cpu_median_ms} ms (${worst.cpu_median_ms !== null && worst.cpu_median_ms <= TARGET_MS ? "within" : "over"} the target)`);
    const file = writeResult("file-restart.json", {
      machine: machine(), jobs: JOBS, rounds: ROUNDS, target_ms: TARGET_MS,
      snapshot_bytes: state.snapshotBytes, worst_log_bytes: state.logBytes, snapshot_mb: mb(state.snapshotBytes),
      memory, snapshot, worst, bytes_per_job: round2(state.snapshotBytes / JOBS), load_average: os.loadavg(),
    });
    log(`wrote ${file}`);
  } finally {
    killAllChildren();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
