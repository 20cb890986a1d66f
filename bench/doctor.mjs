// npm run bench:doctor: what the integration doctor costs.
//  1. Poll throughput of the mock with --doctor off and on (two CLI children, same
//     flags as npm run bench; autocannon round-robin, median of the rounds). The
//     poll is bench's: one completed job polled by one key as fast as it goes, the
//     doctor's worst case (every poll adds to three findings: poll-too-fast,
//     polls-after-terminal, poll-budget).
//  2. The doctor's own cost per event, in process (no HTTP): ns per poll event.
//  3. Its memory at 100,000 jobs (each submitted, polled 4 times, downloaded), after
//     a forced GC; then 200,000 more jobs to show the cap holds; then every job expired.
// Writes bench/results/doctor.json. Env: BENCH_DURATION (default 5), BENCH_ROUNDS
// (default 5), BENCH_CONNECTIONS (default 10), DOCTOR_JOBS (default 100000).
import { existsSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, envNumber, json, killAllChildren, killChild, load, machine, mb, median, round2, startMockCli, table, writeResult } from "./lib.mjs";

const DURATION = envNumber("BENCH_DURATION", 5);
const ROUNDS = envNumber("BENCH_ROUNDS", 5);
const CONNECTIONS = envNumber("BENCH_CONNECTIONS", 10);
const JOBS = envNumber("DOCTOR_JOBS", 100_000);
const KEY = "ae_test_bench0000001";
const AUTH = { authorization: `Bearer ${KEY}` };
const FLAGS = ["--rate-limits", "off", "--credits", "100000000", "--log-level", "silent", "--timing", "fast"];
const TRYON = JSON.stringify({ person_image_url: "https://example.com/model.jpg", garment_image_url: "https://example.com/tshirt.jpg", garment_type: "top" });
const MODEL = "image-apps-v2/virtual-try-on";
const TARGET_OVERHEAD = 0.05;
const log = (s) => console.error(s);

async function startMock(doctor) {
  const { child, origin } = await startMockCli([...FLAGS, "--doctor", doctor]);
  const submitted = await json(`${origin}/api/v1/tryon`, { method: "POST", headers: { ...AUTH, "content-type": "application/json" }, body: TRYON });
  if (submitted.status !== 202) throw new Error(`submit answered ${submitted.status}`);
  await json(`${origin}/__mock/clock/advance`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ms: 60_000 }) });
  const pollUrl = `${origin}/api/v1/jobs/${submitted.body.job_id}?model_id=${encodeURIComponent(MODEL)}`;
  const polled = await json(pollUrl, { headers: AUTH });
  if (polled.body.status !== "completed") throw new Error(`poll answered ${polled.status} ${JSON.stringify(polled.body)}`);
  return { child, origin, pollUrl };
}

async function throughput() {
  const off = await startMock("off");
  const on = await startMock("on");
  const series = [
    { doctor: "off", target: off, runs: [] },
    { doctor: "on", target: on, runs: [] },
  ];
  for (const s of series) await load({ url: s.target.pollUrl, headers: AUTH, connections: CONNECTIONS, duration: 1 });
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate which goes first, so a drifting machine load favours neither.
    for (const s of round % 2 ? series : [...series].reverse()) {
      const r = await load({ url: s.target.pollUrl, headers: AUTH, connections: CONNECTIONS, duration: DURATION });
      if (r.errors || r.non2xx) throw new Error(`doctor ${s.doctor}: ${r.errors} errors, ${r.non2xx} non-2xx`);
      s.runs.push(r);
      log(`  round ${round}: doctor ${s.doctor.padEnd(3)} ${String(r.rps).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms`);
    }
  }
  const doctor = await json(`${on.origin}/__mock/doctor`);
  for (const s of series) killChild(s.target.child);
  const rows = series.map((s) => ({ doctor: s.doctor, rps: median(s.runs.map((r) => r.rps)), p50: median(s.runs.map((r) => r.p50)), p99: median(s.runs.map((r) => r.p99)), rounds: s.runs.map((r) => r.rps) }));
  const overhead = round2((1 - rows[1].rps / rows[0].rps) * 100);
  return { rows, overhead_pct: overhead, findings_on: doctor.body.findings.map((f) => `${f.rule} ×${f.count}`) };
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
    bytes_per_job: Math.round((atJobs - base) / JOBS),
    tracked: { at_jobs: seenAt.jobs, at_3x_jobs: seenTriple.jobs, untracked: seenTriple.jobs_untracked, after_expiry: s.doctor.report().seen.jobs },
    findings: seenTriple.findings_dropped + s.doctor.report().findings.length,
  };
}

function perEvent() {
  const s = scene();
  s.life(0);
  const id = "00000000-0000-4000-8000-000000000000";
  const poll = s.request({ path: `/api/v1/jobs/${id}`, query: `model_id=${encodeURIComponent(MODEL)}`, key: "ae_test_benchkey0000", operation: "getJob", job_id: id, model_id: MODEL, job_status: "completed" });
  const N = 2_000_000;
  for (let i = 0; i < N / 10; i++) s.doctor.observe(poll); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    poll.data.wall_ms += 1;
    s.doctor.observe(poll);
  }
  const ns = Number(process.hrtime.bigint() - t0) / N;
  return { events: N, ns_per_poll_event: round2(ns) };
}

async function main() {
  if (!existsSync(join(ROOT, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` (npm run bench:doctor does it).");
  const m = machine();
  const loadStart = os.loadavg()[0];
  log(`doctor bench: ${m.cpus} CPUs, node ${process.version}, load average ${loadStart.toFixed(2)}`);
  log(`memory at ${JOBS.toLocaleString("en")} jobs (in process)…`);
  const mem = await memory();
  log(`per-event cost (in process)…`);
  const cost = perEvent();
  log(`poll throughput, doctor off vs on: ${CONNECTIONS} connections, ${DURATION} s × ${ROUNDS} rounds…`);
  const tp = await throughput();
  const pass = tp.overhead_pct < TARGET_OVERHEAD * 100;
  const out = [
    "",
    `poll throughput (GET /jobs/{id} of a completed job, autocannon ${CONNECTIONS} connections, ${DURATION} s, median of ${ROUNDS} alternating rounds):`,
    "",
    table(["doctor", "requests/s", "p50 ms", "p99 ms", "rounds"], tp.rows.map((r) => [r.doctor, r.rps, r.p50, r.p99, r.rounds.join(" ")])),
    "",
    `overhead: ${tp.overhead_pct} % (target < ${TARGET_OVERHEAD * 100} %): ${pass ? "PASS" : "MISS"}; findings the doctor recorded meanwhile: ${tp.findings_on.join(", ")}`,
    `cost per poll event in process: ${cost.ns_per_poll_event} ns (${cost.events.toLocaleString("en")} events)`,
    "",
    `memory (heap after GC, above baseline), ${mem.keys} keys, each job submitted, polled 4 times, downloaded:`,
    "",
    table(["jobs fed", "jobs tracked", "heap MB"], [
      [mem.jobs, mem.tracked.at_jobs, mem.heap_mb.at_jobs],
      [mem.jobs * 3, mem.tracked.at_3x_jobs, mem.heap_mb.at_3x_jobs],
      [`${mem.jobs * 3}, ${mem.jobs} expired`, mem.tracked.after_expiry, mem.heap_mb.after_expiry],
    ]),
    "",
    `${mem.bytes_per_job} bytes per tracked job; past ${mem.jobs.toLocaleString("en")} the oldest are forgotten (${mem.tracked.untracked.toLocaleString("en")} counted as untracked).`,
  ];
  console.log(out.join("\n"));
  const file = writeResult("doctor.json", { date: new Date().toISOString(), machine: m, load_average: { start: loadStart, end: os.loadavg()[0] }, throughput: tp, per_event: cost, memory: mem, target_overhead_pct: TARGET_OVERHEAD * 100, pass });
  console.log(`\nwritten: ${file}`);
}

main()
  .catch((e) => {
    console.error(`bench failed: ${e.stack ?? e}`);
    process.exitCode = 1;
  })
  .finally(killAllChildren);
