// npm run bench: the mock side by side with bare node:http, bare Express 5 and
// Prism 5.12 on loopback, same autocannon settings for every target; plus cold
// start and p99 at a fixed 2,000 requests/s. Writes bench/results/bench.json.
//
// Every target runs in its own process, all started up front; the measurements
// then go round-robin (BENCH_ROUNDS rounds, each target once per round) and each
// figure is the median over the rounds, so a machine whose load drifts during the
// run (a shared CI box) does not favour whichever target happened to go last.
//
// Env: BENCH_DURATION (s per measurement, default 5), BENCH_CONNECTIONS (default 10),
// BENCH_ROUNDS (default 3), BENCH_WARMUP (s per target before round 1, default 1),
// BENCH_SKIP_PRISM=1 to leave Prism out, BENCH_SKIP_REDIS=1 to leave the Redis store out.
//
// The Redis store is measured on a private redis-server (Debian's, installed as
// root when missing, as the tests do) with one mock process and with --workers 2.
import { existsSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { startRedisServer } from "../scripts/redis-server.mjs";
import { prepareBaseline } from "./baseline.mjs";
import { measureLargeBody } from "./large-body.mjs";
import { HOST, MOCK_READY, ROOT, envNumber, freePort, json, killAllChildren, killChild, load, machine, median, round2, spawnChild, startMockCli, table, waitFor200, writeResult } from "./lib.mjs";

const DURATION = envNumber("BENCH_DURATION", 5);
const CONNECTIONS = envNumber("BENCH_CONNECTIONS", 10);
const ROUNDS = envNumber("BENCH_ROUNDS", 3);
const WARMUP = process.env.BENCH_WARMUP === "0" ? 0 : envNumber("BENCH_WARMUP", 1);
const FIXED_RATE = 2000;
const COLD_RUNS = 5;
const PRISM = "@stoplight/prism-cli@5.12.0";
const KEY = "ae_test_bench0000001";
const AUTH = { authorization: `Bearer ${KEY}` };
const JSON_AUTH = { ...AUTH, "content-type": "application/json" };
const TRYON_BODY = JSON.stringify({ person_image_url: "https://example.com/model.jpg", garment_image_url: "https://example.com/tshirt.jpg", garment_type: "top" });
const VISION_BODY = JSON.stringify({ model_id: "moondream3-preview/caption", image_url: "https://example.com/photo.jpg" });
const POLL_MODEL = "image-apps-v2/virtual-try-on";
const MOCK_FLAGS = ["--rate-limits", "off", "--credits", "100000000", "--log-level", "silent", "--timing", "fast"];
/** Issue 11's targets (and issue 10's "memory store within 5 % of the round-1 mock, same run"). */
const TARGETS = {
  poll_vs_node: 0.5, poll_vs_express: 3, models_vs_node: 0.6, submit_vs_express: 2, vs_prism: 8,
  fixed_rate_p99_ms: 5, cold_start_ms: 150, vs_baseline: 0.95, large_body_ms: 60,
};
const log = (s) => console.error(s);

/** Process start to the first 200 on /api/v1/models, with the default options. */
async function coldStart() {
  const runs = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const t0 = performance.now();
    const { child, match } = await spawnChild(process.execPath, [join(ROOT, "dist/cli/main.js"), "serve", "--port", "0"], { ready: MOCK_READY });
    const readyMs = performance.now() - t0;
    const res = await fetch(`${match[1]}/api/v1/models`);
    await res.arrayBuffer();
    const firstMs = performance.now() - t0;
    killChild(child);
    if (res.status !== 200) throw new Error(`cold start: /api/v1/models answered ${res.status}`);
    runs.push({ ready_line_ms: round2(readyMs), first_200_ms: round2(firstMs) });
  }
  return { runs, median_ms: round2(median(runs.map((r) => r.first_200_ms))), median_ready_line_ms: round2(median(runs.map((r) => r.ready_line_ms))) };
}

async function startBaselineCli(main) {
  const { child, match } = await spawnChild(process.execPath, [main, "serve", "--host", HOST, "--port", "0", ...MOCK_FLAGS], { ready: MOCK_READY });
  return { child, origin: match[1] };
}

async function startBare(script) {
  const { child, match } = await spawnChild(process.execPath, [join(ROOT, "bench/targets", script)], { ready: /^listening (\d+)/ });
  return { child, url: `http://${HOST}:${match[1]}/api/v1/jobs/x` };
}

/** The mock as a CLI child (today's, or the baseline's `main`), with one completed try-on job to poll; `extraFlags` for today's. */
async function startMock(main, extraFlags = []) {
  const { child, origin } = main ? await startBaselineCli(main) : await startMockCli([...MOCK_FLAGS, ...extraFlags]);
  const submitted = await json(`${origin}/api/v1/tryon`, { method: "POST", headers: JSON_AUTH, body: TRYON_BODY });
  if (submitted.status !== 202) throw new Error(`mock setup: submit answered ${submitted.status} ${JSON.stringify(submitted.body)}`);
  const advanced = await json(`${origin}/__mock/clock/advance`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ms: 60_000 }) });
  if (advanced.status !== 200) throw new Error(`mock setup: clock advance answered ${advanced.status}`);
  const pollUrl = `${origin}/api/v1/jobs/${encodeURIComponent(submitted.body.job_id)}?model_id=${encodeURIComponent(POLL_MODEL)}`;
  const polled = await json(pollUrl, { headers: AUTH });
  if (polled.status !== 200 || polled.body.status !== "completed") throw new Error(`mock setup: poll answered ${polled.status} ${JSON.stringify(polled.body)}`);
  return { child, origin, pollUrl };
}

/** Prism through npx (fetched on demand), in its own process group so npm and Prism die together. */
async function startPrism(extraArgs) {
  const port = await freePort();
  const origin = `http://${HOST}:${port}`;
  const { child } = spawnChild("npx", ["-y", PRISM, "mock", join(ROOT, "openapi.yaml"), "-h", HOST, "-p", String(port), ...extraArgs], { detached: true });
  const exited = new Promise((_, reject) => child.once("exit", (code, signal) => reject(new Error(`npx exited (${code ?? signal})`))));
  exited.catch(() => {});
  try {
    await Promise.race([waitFor200(`${origin}/models`, { timeoutMs: 180_000 }), exited]);
  } catch (e) {
    killChild(child);
    return { error: `could not start ${PRISM} with npx: ${e.message.split("\n")[0]}. ${child.stderrTail().trim().split("\n").slice(-3).join(" | ")}` };
  }
  const pollUrl = `${origin}/jobs/a1b2c3d4?model_id=${encodeURIComponent(POLL_MODEL)}`;
  const check = await json(pollUrl, { headers: AUTH });
  if (check.status !== 200) throw new Error(`Prism poll answered ${check.status}`);
  return { child, origin, pollUrl };
}

async function main() {
  if (!existsSync(join(ROOT, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` (npm run bench does it).");
  const loadStart = os.loadavg()[0];
  const m = machine();
  log(`bench: ${CONNECTIONS} connections, ${DURATION} s per measurement, ${ROUNDS} rounds (+${WARMUP} s warm-up), 127.0.0.1; ${m.cpus} CPUs, node ${process.version}, load average ${loadStart.toFixed(2)}`);
  log(`cold start (spawn to first 200 on /api/v1/models), ${COLD_RUNS} runs…`);
  const cold = await coldStart();
  log(`  median ${cold.median_ms} ms (${cold.runs.map((r) => r.first_200_ms).join(", ")})`);
  log("a try-on with two 10 MB data URLs, 7 runs…");
  const large = await measureLargeBody();
  log(`  server ${large.server_ms} ms (median; ${large.server_runs_ms.join(", ")}), client ${large.client_ms} ms`);

  log("starting targets…");
  const node = await startBare("bare-node.mjs");
  const exp = await startBare("bare-express.mjs");
  const mock = await startMock();
  // Submits get their own instance: ~40,000 jobs a round would otherwise land in the poll
  // instance's heap, and the garbage collection after that burst in the poll figures.
  const mockSubmit = await startMock();
  let baseline = { error: "skipped (BENCH_BASELINE=none)" };
  let baselineSubmit = baseline;
  if (process.env.BENCH_BASELINE !== "none") {
    const built = prepareBaseline();
    if (built.error) baseline = baselineSubmit = built;
    else {
      log(`  the round-1 mock (${built.sha}) for the same-run comparison…`);
      baseline = await startMock(built.main);
      baselineSubmit = await startMock(built.main);
    }
  }
  if (baseline.error) console.log(`\n!! baseline not measured: ${baseline.error}\n`);
  let prism = { error: "skipped (BENCH_SKIP_PRISM=1)" };
  let prismQuiet = prism;
  if (process.env.BENCH_SKIP_PRISM !== "1") {
    log(`  ${PRISM} via npx (fetched on first use)…`);
    prism = await startPrism([]);
    if (!prism.error) prismQuiet = await startPrism(["-v", "silent"]);
  }
  if (prism.error) console.log(`\n!! Prism not measured: ${prism.error}\n`);
  // The Redis store: poll and submit instances (as for memory), each in its own namespace, at 1 process and 2 workers.
  let redis = { error: "skipped (BENCH_SKIP_REDIS=1)" };
  const redisTargets = [];
  if (process.env.BENCH_SKIP_REDIS !== "1") {
    try {
      log("  a private redis-server…");
      const server = await startRedisServer();
      redis = { server };
      for (const [label, workers] of [["mock redis", 0], ["mock redis --workers 2", 2]]) {
        const flags = (ns) => ["--store", server.url, "--namespace", `bench-${ns}-${workers}`, ...(workers ? ["--workers", String(workers)] : [])];
        redisTargets.push({ label, poll: await startMock(null, flags("poll")), submit: await startMock(null, flags("submit")) });
      }
    } catch (e) {
      redis = { error: e.message.split("\n")[0] };
    }
  }
  if (redis.error) console.log(`\n!! Redis store not measured: ${redis.error}\n`);

  // [target, route, autocannon options]; throughput series, then the fixed-rate ones.
  const series = [
    ["bare node:http", "GET (fixed JSON)", { url: node.url }],
    ["bare Express 5", "GET (fixed JSON)", { url: exp.url }],
    ["mock", "GET /jobs/{id} (poll)", { url: mock.pollUrl, headers: AUTH }],
    !baseline.error && ["round-1 mock", "GET /jobs/{id} (poll)", { url: baseline.pollUrl, headers: AUTH }],
    !prism.error && ["Prism 5.12", "GET /jobs/{id} (poll)", { url: prism.pollUrl, headers: AUTH }],
    !prismQuiet.error && ["Prism 5.12 -v silent", "GET /jobs/{id} (poll)", { url: prismQuiet.pollUrl, headers: AUTH }],
    ["mock", "GET /models", { url: `${mock.origin}/api/v1/models` }],
    !prism.error && ["Prism 5.12", "GET /models", { url: `${prism.origin}/models` }],
    ["mock", "POST /vision (submit)", { url: `${mockSubmit.origin}/api/v1/vision`, method: "POST", headers: JSON_AUTH, body: VISION_BODY }],
    !baselineSubmit.error && ["round-1 mock", "POST /vision (submit)", { url: `${baselineSubmit.origin}/api/v1/vision`, method: "POST", headers: JSON_AUTH, body: VISION_BODY }],
    !prism.error && ["Prism 5.12", "POST /vision (submit)", { url: `${prism.origin}/vision`, method: "POST", headers: JSON_AUTH, body: VISION_BODY }],
    ...redisTargets.flatMap((t) => [
      [t.label, "GET /jobs/{id} (poll)", { url: t.poll.pollUrl, headers: AUTH }],
      [t.label, "POST /vision (submit)", { url: `${t.submit.origin}/api/v1/vision`, method: "POST", headers: JSON_AUTH, body: VISION_BODY }],
    ]),
  ]
    .filter(Boolean)
    .map(([target, route, opts]) => ({ target, route, opts: { ...opts, connections: CONNECTIONS, duration: DURATION }, runs: [] }));
  const fixedSeries = [
    ["bare node:http", { url: node.url }],
    ["bare Express 5", { url: exp.url }],
    ["mock poll", { url: mock.pollUrl, headers: AUTH }],
  ].map(([target, opts]) => ({ target, opts: { ...opts, connections: CONNECTIONS, duration: DURATION, overallRate: FIXED_RATE }, runs: [] }));

  if (WARMUP > 0) {
    log(`warm-up, ${WARMUP} s each…`);
    for (const s of series) await load({ ...s.opts, duration: WARMUP });
  }
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round}/${ROUNDS}`);
    for (const s of [...series, ...fixedSeries]) {
      const r = await load(s.opts);
      s.runs.push(r);
      const label = s.route ? `${s.target.padEnd(20)} ${s.route.padEnd(22)}` : `${s.target.padEnd(20)} ${`at ${FIXED_RATE} req/s`.padEnd(22)}`;
      log(`  ${label} ${String(r.rps).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors}  non-2xx ${r.non2xx}`);
    }
  }
  for (const t of [node, exp, mock, mockSubmit, baseline, baselineSubmit, prism, prismQuiet, ...redisTargets.flatMap((r) => [r.poll, r.submit])]) if (t.child) killChild(t.child);
  await redis.server?.stop();

  const summarise = (s) => ({
    target: s.target,
    route: s.route,
    rps: median(s.runs.map((r) => r.rps)),
    p50: median(s.runs.map((r) => r.p50)),
    p99: median(s.runs.map((r) => r.p99)),
    max: Math.max(...s.runs.map((r) => r.max)),
    errors: s.runs.reduce((a, r) => a + r.errors, 0),
    non2xx: s.runs.reduce((a, r) => a + r.non2xx, 0),
    rounds: s.runs.map((r) => ({ rps: r.rps, p50: r.p50, p99: r.p99 })),
  });
  const rows = series.map(summarise);
  const fixedRows = fixedSeries.map(summarise);
  const find = (target, route) => rows.find((r) => r.target === target && r.route.startsWith(route));
  const ratio = (a, b) => (a && b ? round2(a.rps / b.rps) : null);
  const bareNode = find("bare node:http", "GET");
  const bareExp = find("bare Express 5", "GET");
  const ratios = ["GET /jobs/{id}", "GET /models", "POST /vision"].map((route) => {
    const mr = find("mock", route);
    return {
      route, mock_rps: mr.rps, vs_bare_express: ratio(mr, bareExp), vs_bare_node: ratio(mr, bareNode), vs_prism: ratio(mr, find("Prism 5.12", route)),
      vs_prism_silent: ratio(mr, find("Prism 5.12 -v silent", route)), vs_round1: ratio(mr, find("round-1 mock", route)),
    };
  });
  const [poll, models, submit] = ratios;
  const memoryRow = (route) => find("mock", route);
  const stores = [["mock", "memory", 0], ...redisTargets.map((t) => [t.label, "redis", t.label.includes("workers") ? 2 : 1])].map(([target, store, workers]) => {
    const pollRow = find(target, "GET /jobs/{id}");
    const submitRow = find(target, "POST /vision");
    return { target, store, workers: workers || 1, poll_rps: pollRow.rps, submit_rps: submitRow.rps, poll_vs_memory: ratio(pollRow, memoryRow("GET /jobs/{id}")), submit_vs_memory: ratio(submitRow, memoryRow("POST /vision")), poll_p99: pollRow.p99, submit_p99: submitRow.p99 };
  });
  const mockFixed = fixedRows.find((r) => r.target === "mock poll");
  const atLeast = (target, value, min) => ({ target, value, pass: value === null ? null : value >= min });
  const targets = [
    atLeast(`poll ≥ ${TARGETS.poll_vs_node}× bare node:http`, poll.vs_bare_node, TARGETS.poll_vs_node),
    atLeast(`poll ≥ ${TARGETS.poll_vs_express}× bare Express 5`, poll.vs_bare_express, TARGETS.poll_vs_express),
    atLeast(`GET /models ≥ ${TARGETS.models_vs_node}× bare node:http`, models.vs_bare_node, TARGETS.models_vs_node),
    atLeast(`submit ≥ ${TARGETS.submit_vs_express}× bare Express 5`, submit.vs_bare_express, TARGETS.submit_vs_express),
    atLeast(`poll ≥ ${TARGETS.vs_prism}× Prism 5.12`, poll.vs_prism, TARGETS.vs_prism),
    atLeast(`GET /models ≥ ${TARGETS.vs_prism}× Prism 5.12`, models.vs_prism, TARGETS.vs_prism),
    { target: `poll p99 ≤ ${TARGETS.fixed_rate_p99_ms} ms at ${FIXED_RATE} req/s`, value: mockFixed.p99, pass: mockFixed.p99 <= TARGETS.fixed_rate_p99_ms },
    { target: `cold start ≤ ${TARGETS.cold_start_ms} ms (median of ${COLD_RUNS})`, value: cold.median_ms, pass: cold.median_ms <= TARGETS.cold_start_ms },
    { target: `two 10 MB data URLs ≤ ${TARGETS.large_body_ms} ms of server time`, value: large.server_ms, pass: large.server_ms <= TARGETS.large_body_ms },
    atLeast(`memory store poll ≥ ${TARGETS.vs_baseline}× the round-1 mock`, poll.vs_round1, TARGETS.vs_baseline),
    atLeast(`memory store submit ≥ ${TARGETS.vs_baseline}× the round-1 mock`, submit.vs_round1, TARGETS.vs_baseline),
  ];
  const verdict = (ok) => (ok === null ? "n/a" : ok ? "PASS" : "MISS");
  const loadEnd = os.loadavg()[0];

  const out = [
    "",
    `autocannon, ${CONNECTIONS} connections, ${DURATION} s per measurement, 127.0.0.1; median of ${ROUNDS} round-robin rounds (after a ${WARMUP} s warm-up)`,
    `${m.cpus} CPUs (${m.cpu}), node ${process.version}; load average ${loadStart.toFixed(2)} at start, ${loadEnd.toFixed(2)} at end`,
    "",
    table(["target", "route", "requests/s", "p50 ms", "p99 ms", "errors", "non-2xx"], rows.map((r) => [r.target, r.route, r.rps, r.p50, r.p99, r.errors, r.non2xx])),
    "",
    table(
      ["mock route", "mock req/s", "× bare Express", "× bare node", "× Prism", "× Prism -v silent", "× round-1 mock"],
      ratios.map((r) => [r.route, r.mock_rps, r.vs_bare_express, r.vs_bare_node, r.vs_prism, r.vs_prism_silent, r.vs_round1]),
    ),
    "",
    "stores (the same mock, state in memory or in Redis; workers = processes serving the port):",
    "",
    table(["store", "workers", "poll req/s", "submit req/s", "poll × memory", "submit × memory", "poll p99 ms", "submit p99 ms"], stores.map((r) => [r.store, r.workers, r.poll_rps, r.submit_rps, r.poll_vs_memory, r.submit_vs_memory, r.poll_p99, r.submit_p99])),
    "",
    `at a fixed ${FIXED_RATE} requests/s (autocannon overallRate, ${CONNECTIONS} connections, ${DURATION} s; median of ${ROUNDS}); the bare servers show this machine's floor:`,
    "",
    table(["target", "achieved req/s", "p50 ms", "p99 ms", "max ms", "errors", "non-2xx"], fixedRows.map((r) => [r.target, r.rps, r.p50, r.p99, r.max, r.errors, r.non2xx])),
    "",
    `cold start, spawn → first 200 on /api/v1/models (\`node dist/cli/main.js serve --port 0\`): median ${cold.median_ms} ms of ${COLD_RUNS} [${cold.runs.map((r) => r.first_200_ms).join(", ")}]; ready line at a median ${cold.median_ready_line_ms} ms`,
    "",
    table(["target", "value", "result"], targets.map((t) => [t.target, t.value, verdict(t.pass)])),
  ];
  if (prism.error) out.push("", `Prism not measured: ${prism.error}`);
  if (redis.error) out.push("", `Redis store not measured: ${redis.error}`);
  console.log(out.join("\n"));
  const file = writeResult("bench.json", {
    date: new Date().toISOString(),
    machine: m,
    load_average: { start: loadStart, end: loadEnd },
    settings: { connections: CONNECTIONS, duration_s: DURATION, rounds: ROUNDS, warmup_s: WARMUP, mock_flags: MOCK_FLAGS, prism: PRISM },
    results: rows,
    ratios,
    stores,
    redis: redis.error ?? "measured",
    fixed_rate: { rate: FIXED_RATE, mock_route: "GET /jobs/{id} (poll)", results: fixedRows },
    cold_start: cold,
    large_body: large,
    prism: prism.error ?? "measured",
    targets,
  });
  console.log(`\nwritten: ${file}`);
}

main()
  .catch((e) => {
    console.error(`bench failed: ${e.stack ?? e}`);
    process.exitCode = 1;
  })
  .finally(killAllChildren);
