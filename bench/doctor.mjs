// npm run bench:doctor: what the integration doctor costs.
//  1. Polls of one mock process whose doctor is switched off and on between rounds
//     (bench/targets/doctor-toggle.mjs; npm run bench's options: rate limits off,
//     timing fast): throughput, and the process's CPU time per poll. On a shared
//     machine two processes, even two identical ones, differ by more than the
//     doctor costs, and throughput swings with other processes' load; CPU time a
//     request in one process hardly does, though still by a few % a round (the
//     rounds' on/off medians are printed as a cross-check). The poll is bench's: one
//     completed job polled by one key as fast as it goes, the doctor's worst case
//     (every poll adds to three findings: poll-too-fast, polls-after-terminal,
//     poll-budget).
//  2. The verdict: the doctor runs synchronously where a request is recorded, so its
//     cost is what it adds to runtime.record() of a real poll, timed in process (CPU
//     time, doctor off and on), as a share of the mock's CPU a poll from step 1.
//  3. Its memory at 100,000 jobs (each submitted, polled 4 times, downloaded), after
//     a forced GC; then 200,000 more jobs to show the cap holds; then every job expired.
// Writes bench/results/doctor.json. Env: BENCH_DURATION (default 5), BENCH_ROUNDS
// (default 7), BENCH_CONNECTIONS (default 10), DOCTOR_JOBS (default 100000).
import { existsSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, envNumber, json, killAllChildren, killChild, load, machine, mb, median, round2, spawnChild, table, writeResult } from "./lib.mjs";

const DURATION = envNumber("BENCH_DURATION", 5);
const ROUNDS = envNumber("BENCH_ROUNDS", 7);
const CONNECTIONS = envNumber("BENCH_CONNECTIONS", 10);
const JOBS = envNumber("DOCTOR_JOBS", 100_000);
const KEY = "ae_test_bench0000001";
const AUTH = { authorization: `Bearer ${KEY}` };
const TRYON = JSON.stringify({ person_image_url: "https://example.com/model.jpg", garment_image_url: "https://example.com/tshirt.jpg", garment_type: "top" });
const MODEL = "image-apps-v2/virtual-try-on";
const TARGET_OVERHEAD = 0.05;
const log = (s) => console.error(s);

/** The mock in one child whose doctor is switched off and on between rounds (bench/targets/doctor-toggle.mjs). */
async function startToggle() {
  const { child, match } = await spawnChild(process.execPath, [join(ROOT, "bench/targets/doctor-toggle.mjs")], { ready: /^ready (\S+)/, ipc: true });
  let seq = 0;
  const pending = new Map();
  child.on("message", (m) => {
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  });
  const ask = (msg) => new Promise((resolve) => {
    const id = ++seq;
    pending.set(id, resolve);
    child.send({ ...msg, id });
  });
  const origin = match[1];
  const submitted = await json(`${origin}/api/v1/tryon`, { method: "POST", headers: { ...AUTH, "content-type": "application/json" }, body: TRYON });
  if (submitted.status !== 202) throw new Error(`submit answered ${submitted.status}`);
  await json(`${origin}/__mock/clock/advance`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ms: 60_000 }) });
  const pollUrl = `${origin}/api/v1/jobs/${submitted.body.job_id}?model_id=${encodeURIComponent(MODEL)}`;
  const polled = await json(pollUrl, { headers: AUTH });
  if (polled.body.status !== "completed") throw new Error(`poll answered ${polled.status} ${JSON.stringify(polled.body)}`);
  return { child, pollUrl, ask };
}

async function throughput() {
  const target = await startToggle();
  const series = [
    { doctor: "off", runs: [] },
    { doctor: "on", runs: [] },
  ];
  await load({ url: target.pollUrl, headers: AUTH, connections: CONNECTIONS, duration: 1 });
  const ratios = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate which goes first, so a drifting machine load favours neither.
    for (const s of round % 2 ? series : [...series].reverse()) {
      await target.ask({ type: "doctor", on: s.doctor === "on" });
      // A second of polls first: switching re-tiers the code on the path, which is not the doctor's cost.
      await load({ url: target.pollUrl, headers: AUTH, connections: CONNECTIONS, duration: 1 });
      const before = await target.ask({ type: "cpu" });
      const r = await load({ url: target.pollUrl, headers: AUTH, connections: CONNECTIONS, duration: DURATION });
      const after = await target.ask({ type: "cpu" });
      // User time only: the doctor runs in user space, while the kernel's share (writing
      // the responses) swings with the machine's load by more than the doctor costs.
      r.cpu_us = round2((after.userMicros - before.userMicros) / r.requests);
      r.sys_us = round2((after.systemMicros - before.systemMicros) / r.requests);
      if (r.errors || r.non2xx) throw new Error(`doctor ${s.doctor}: ${r.errors} errors, ${r.non2xx} non-2xx`);
      s.runs.push(r);
      log(`  round ${round}: doctor ${s.doctor.padEnd(3)} ${String(r.rps).padStart(6)} req/s  ${r.cpu_us} µs user CPU a poll (+${r.sys_us} µs system)  p50 ${r.p50} ms  p99 ${r.p99} ms`);
    }
    ratios.push(series[1].runs.at(-1).cpu_us / series[0].runs.at(-1).cpu_us);
  }
  const findings = (await target.ask({ type: "findings" })).findings;
  killChild(target.child);
  const rows = series.map((s) => ({
    doctor: s.doctor, rps: median(s.runs.map((r) => r.rps)), cpu_us: median(s.runs.map((r) => r.cpu_us)), sys_us: median(s.runs.map((r) => r.sys_us)),
    p50: median(s.runs.map((r) => r.p50)), p99: median(s.runs.map((r) => r.p99)), rounds: s.runs.map((r) => r.rps), cpu_rounds: s.runs.map((r) => r.cpu_us),
  }));
  return {
    rows,
    // The median of each round's on/off ratio: both sides of a round ran seconds apart, in the same process.
    cpu_overhead_pct: round2((median(ratios) - 1) * 100),
    cpu_ratio_by_round: ratios.map(round2),
    throughput_change_pct: round2((rows[1].rps / rows[0].rps - 1) * 100),
    findings_on: findings,
  };
}

// ---------------------------------------------------------------- in process

const { Doctor } = await import(pathToFileURL(join(ROOT, "dist/doctor/doctor.js")).href);

function scene() {
  let wall = Date.parse("2026-01-01T00:00:00Z");
  let virtual = wall;
  let seq = 0;
  const doctor = new Doctor({ now: () => virtual, wallNow: () => wall, publicHost: null });
  const request = (r) => ({
    kind: "request", id: String(++seq), replica: "bench",
    data: {
      time_ms: virtual, wall_ms: wall, method: "GET", path: "/api/v1/models", query: "", host: "127.0.0.1:4010", status: 200, key: KEY, operation: null,
      job_id: null, model_id: null, job_status: null, error_code: null, error_message: null, retry_after_s: null, body_hash: null, credits_used: null,
      scenario: null, fault: null, response_lost: false, duration_ms: 1, replica: "bench", ...r,
    },
  });
  // Job ids are made up front: in the mock the doctor shares the store's id string, so it is not the doctor's memory.
  const ids = Array.from({ length: JOBS * 3 }, (_, n) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`);
  const jobId = (n) => ids[n];
  const keyOf = (n) => `ae_test_benchkey${String(n % 1000).padStart(4, "0")}`;
  /** One job's life as a client that follows the docs produces it: submit, 3 polls, the terminal poll, a download. */
  const life = (n) => {
    const id = jobId(n);
    const key = keyOf(n);
    doctor.observe({ kind: "job", action: "created", id: String(++seq), replica: "bench", data: { job_id: id, key, kind: "tryon", model_id: MODEL, scenario: null, created_ms: virtual, processing_ms: virtual + 2000, finished_ms: virtual + 12_000, expires_ms: virtual + 86_412_000, outcome: "completed", webhook_url: null } });
    doctor.observe(request({ method: "POST", path: "/api/v1/tryon", status: 202, key, operation: "submitTryon", job_id: id, model_id: MODEL, body_hash: `b${n}`, credits_used: 15 }));
    for (let p = 0; p < 4; p++) {
      wall += 3;
      virtual += 3;
      doctor.observe(request({ path: `/api/v1/jobs/${id}`, query: `model_id=${encodeURIComponent(MODEL)}`, key, operation: "getJob", job_id: id, model_id: MODEL, job_status: p === 3 ? "completed" : "processing", wall_ms: wall + p * 3000 }));
    }
    doctor.observe(request({ path: `/cdn/results/${id}/0.png`, key, operation: "cdn", job_id: id }));
  };
  const expire = (n) => doctor.observe({ kind: "job", action: "expired", id: String(++seq), replica: "bench", data: { job_id: jobId(n) } });
  return { doctor, request, life, expire, advance: (ms) => ((wall += ms), (virtual += ms)) };
}

async function heap() {
  for (let i = 0; i < 3; i++) {
    global.gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

async function memory() {
  if (typeof global.gc !== "function") throw new Error("run with node --expose-gc (npm run bench:doctor does)");
  const s = scene();
  const base = await heap();
  for (let n = 0; n < JOBS; n++) s.life(n);
  const atJobs = await heap();
  const seenAt = s.doctor.report().seen;
  for (let n = JOBS; n < JOBS * 3; n++) s.life(n);
  const atTriple = await heap();
  const seenTriple = s.doctor.report().seen;
  for (let n = JOBS * 2; n < JOBS * 3; n++) s.expire(n);
  const afterExpiry = await heap();
  return {
    jobs: JOBS, keys: 1000,
    heap_mb: { at_jobs: mb(atJobs - base), at_3x_jobs: mb(atTriple - base), after_expiry: mb(afterExpiry - base) },
    // Per job tracked (at most the doctor's cap), not per job fed.
    bytes_per_job: Math.round((atJobs - base) / Math.max(1, seenAt.jobs)),
    tracked: { at_jobs: seenAt.jobs, at_3x_jobs: seenTriple.jobs, untracked: seenTriple.jobs_untracked, after_expiry: s.doctor.report().seen.jobs },
    findings: seenTriple.findings_dropped + s.doctor.report().findings.length,
  };
}

/**
 * The doctor's cost where it runs: runtime.record() of a real Exchange for a poll
 * (the event built, journaled and published, as the server does after answering),
 * with the doctor's subscription off and on, in CPU time of this process. Strings
 * are made fresh for each request as the server makes them (the key matched from
 * the header, the path sliced from the URL, the job id decoded).
 */
async function recordPath() {
  const { createMockServer } = await import(pathToFileURL(join(ROOT, "dist/index.js")).href);
  const { Exchange } = await import(pathToFileURL(join(ROOT, "dist/http/exchange.js")).href);
  const { bearerKey } = await import(pathToFileURL(join(ROOT, "dist/http/context.js")).href);
  const server = await createMockServer({ rateLimits: false, timing: "fast", logLevel: "silent", doctor: false });
  const rt = server.mock.runtime;
  const doctor = new Doctor({ now: () => rt.store.now(), wallNow: rt.options.wallNow, publicHost: null });
  const submitted = await json(`${server.baseUrl}/tryon`, { method: "POST", headers: { ...AUTH, "content-type": "application/json" }, body: TRYON });
  server.advance(60_000);
  const url = `/api/v1/jobs/${submitted.body.job_id}?model_id=${encodeURIComponent(MODEL)}`;
  const headers = { host: new URL(server.baseUrl).host, authorization: AUTH.authorization };
  const res = { statusCode: 200 };
  const poll = () => {
    const req = { method: "GET", url: url.slice(0), headers };
    const ex = new Exchange(req, res, Date.now());
    const q = req.url.indexOf("?");
    ex.path = req.url.slice(0, q);
    ex.query = req.url.slice(q + 1);
    ex.operation = "getJob";
    ex.key = bearerKey(req);
    ex.jobId = decodeURIComponent(ex.path.slice(ex.path.lastIndexOf("/") + 1));
    ex.modelId = MODEL;
    ex.jobStatus = "completed";
    rt.record(ex);
  };
  // The doctor first sees the job's submit and poll, as it would have.
  let unsubscribe = null;
  const N = 200_000;
  const runs = { off: [], on: [] };
  for (let round = 0; round < 6; round++) {
    const on = round % 2 === 1;
    if (on) unsubscribe = rt.store.events.subscribe((e) => doctor.observe(e));
    if (round === 1) doctor.observe({ kind: "job", action: "created", id: "0", replica: "bench", data: { ...rt.store.job(submitted.body.job_id), job_id: submitted.body.job_id, key: KEY, kind: "tryon", model_id: MODEL, webhook_url: null, finished_ms: 0, expires_ms: 1e15, outcome: "completed" } });
    for (let i = 0; i < N / 10; i++) poll(); // warm up this side
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) poll();
    const used = process.cpuUsage(t0);
    runs[on ? "on" : "off"].push(((used.user + used.system) * 1000) / N);
    if (on) {
      unsubscribe();
      unsubscribe = null;
    }
  }
  await server.close();
  const off = median(runs.off);
  const on = median(runs.on);
  return { polls_per_round: N, ns_off: round2(off), ns_on: round2(on), ns_added: round2(on - off), findings: doctor.report().findings.map((f) => `${f.rule} ×${f.count}`) };
}

async function main() {
  if (!existsSync(join(ROOT, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` (npm run bench:doctor does it).");
  const m = machine();
  const loadStart = os.loadavg()[0];
  log(`doctor bench: ${m.cpus} CPUs, node ${process.version}, load average ${loadStart.toFixed(2)}`);
  log(`memory at ${JOBS.toLocaleString("en")} jobs (in process)…`);
  const mem = await memory();
  log(`the record path of a poll, doctor off and on (in process)…`);
  const cost = await recordPath();
  log(`polls with the doctor off and on, in one process: ${CONNECTIONS} connections, ${DURATION} s × ${ROUNDS} rounds…`);
  const tp = await throughput();
  const offCpuNs = (tp.rows[0].cpu_us + tp.rows[0].sys_us) * 1000;
  const overheadPct = round2((cost.ns_added / offCpuNs) * 100);
  const pass = overheadPct < TARGET_OVERHEAD * 100;
  const out = [
    "",
    `polls (GET /jobs/{id} of a completed job) in one mock process with its doctor off and on, autocannon ${CONNECTIONS} connections, ${DURATION} s, median of ${ROUNDS} alternating rounds:`,
    "",
    table(["doctor", "requests/s", "user CPU µs a poll", "system µs", "p50 ms", "p99 ms", "requests/s by round", "user µs by round"], tp.rows.map((r) => [r.doctor, r.rps, r.cpu_us, r.sys_us, r.p50, r.p99, r.rounds.join(" "), r.cpu_rounds.join(" ")])),
    "",
    `the record path of a poll (event, journal, bus), in process: ${cost.ns_off} ns with the doctor off, ${cost.ns_on} ns on: the doctor adds ${cost.ns_added} ns a poll`,
    `  (the worst case: every poll of this client counts in three findings: ${cost.findings.join(", ")})`,
    "",
    `overhead: ${cost.ns_added} ns of the ${round2(offCpuNs / 1000)} µs of CPU (user + system) a poll costs the mock = ${overheadPct} % (target < ${TARGET_OVERHEAD * 100} %): ${pass ? "PASS" : "MISS"}`,
    `cross-check over HTTP: user CPU a poll, doctor on/off, ${tp.cpu_overhead_pct} % (median of the rounds' ratios [${tp.cpu_ratio_by_round.join(", ")}]; a few % of noise a round on a shared machine); throughput with the doctor on ${tp.throughput_change_pct >= 0 ? "+" : ""}${tp.throughput_change_pct} % (medians; it follows the machine's load, ${os.loadavg()[0].toFixed(2)} now)`,
    "",
    `memory (heap after GC, above baseline), ${mem.keys} keys, each job submitted, polled 4 times, downloaded:`,
    "",
    table(["jobs fed", "jobs tracked", "heap MB"], [
      [mem.jobs, mem.tracked.at_jobs, mem.heap_mb.at_jobs],
      [mem.jobs * 3, mem.tracked.at_3x_jobs, mem.heap_mb.at_3x_jobs],
      [`${mem.jobs * 3}, ${mem.jobs} expired`, mem.tracked.after_expiry, mem.heap_mb.after_expiry],
    ]),
    "",
    `${mem.bytes_per_job} bytes per tracked job; past ${mem.tracked.at_jobs.toLocaleString("en")} tracked jobs the oldest are forgotten (${mem.tracked.untracked.toLocaleString("en")} counted as untracked).`,
  ];
  console.log(out.join("\n"));
  const file = writeResult("doctor.json", { date: new Date().toISOString(), machine: m, load_average: { start: loadStart, end: os.loadavg()[0] }, http: tp, record_path: cost, overhead_pct: overheadPct, memory: mem, target_overhead_pct: TARGET_OVERHEAD * 100, pass });
  console.log(`\nwritten: ${file}`);
}

main()
  .catch((e) => {
    console.error(`bench failed: ${e.stack ?? e}`);
    process.exitCode = 1;
  })
  .finally(killAllChildren);
