// npm run bench:scale: memory and poll latency with many live jobs, and memory
// over 48 hours of virtual time at a constant submit rate. The mock runs in a
// child process started with --expose-gc (bench/targets/scale-server.mjs);
// every job is created through the public API. Writes bench/results/scale.json.
//
// Env: SCALE_JOBS (default 100000: the last checkpoint), SCALE_PER_STEP
// (submits per 10 virtual minutes in the 48 h run, default 200), SCALE_HOURS
// (default 48), SCALE_POLL_SECONDS (default 3); SCALE_ONLY=live|soak runs one phase.
import http from "node:http";
import os from "node:os";
import { join } from "node:path";
import { HOST, ROOT, envNumber, json, killAllChildren, killChild, load, machine, mb, pool, round2, spawnChild, table, writeResult } from "./lib.mjs";

const MAX_JOBS = envNumber("SCALE_JOBS", 100_000);
const CHECKPOINTS = [1_000, 10_000, 100_000].filter((n) => n <= MAX_JOBS);
if (!CHECKPOINTS.includes(MAX_JOBS)) CHECKPOINTS.push(MAX_JOBS);
const PER_STEP = envNumber("SCALE_PER_STEP", 200);
const HOURS = envNumber("SCALE_HOURS", 48);
const POLL_SECONDS = envNumber("SCALE_POLL_SECONDS", 3);
const STEP_MS = 10 * 60_000;
const STEPS_PER_HOUR = 6;
const CONNECTIONS = 10;
const FIXED_RATE = 1000;
const TARGETS = { rss_100k_mb: 200, spread_pct: 15 };
/** Settling the readings: six stable readings, up to 10 s, for the live-jobs table; two, up to 2 s, each simulated hour. */
const SETTLE_FULL = { stable: 6, rounds: 40 };
const SETTLE_HOURLY = { stable: 2, rounds: 8 };
const KEYS = ["ae_test_scale0000001", "ae_test_scale0000002", "ae_test_scale0000003", "ae_test_scale0000004"];
const log = (s) => console.error(s);

// ---------------------------------------------------------------- the server

async function startServer() {
  const { child, match } = await spawnChild(process.execPath, ["--expose-gc", join(ROOT, "bench/targets/scale-server.mjs")], { ready: /^ready (\S+)/, ipc: true });
  let seq = 0;
  const pending = new Map();
  child.on("message", (m) => {
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  });
  /** Memory after a forced GC; `settle` repeats it until RSS stops moving (see scale-server.mjs). */
  const mem = (settle = null) =>
    new Promise((resolve) => {
      const id = ++seq;
      pending.set(id, resolve);
      child.send({ type: "mem", id, settle });
    });
  const origin = match[1];
  const control = async (path, body) => {
    const r = await json(`${origin}/__mock${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });
    if (r.status !== 200) throw new Error(`/__mock${path} answered ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return { child, origin, mem, control };
}

/** Submit requests for one key, cycling over the three job kinds; `webhookUrl` on every fourth. */
function submitRequests(key, webhookUrl) {
  const bodies = [
    ["/api/v1/tryon", { person_image_url: "https://example.com/model.jpg", garment_image_url: "https://example.com/tshirt.jpg", garment_type: "top" }],
    ["/api/v1/vision", { model_id: "moondream3-preview/caption", image_url: "https://example.com/photo.jpg" }],
    ["/api/v1/generate", { prompt: "a red jacket on a mannequin, studio light" }],
    ["/api/v1/vision", { model_id: "florence-2-large/object-detection", image_url: "https://example.com/street.jpg", ...(webhookUrl ? { webhook_url: webhookUrl, webhook_secret: "whsec_scale" } : {}) }],
  ];
  return bodies.map(([path, body]) => ({ method: "POST", path, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) }));
}

function pollRequests(polls) {
  return polls.map((p) => ({ method: "GET", path: `/api/v1/jobs/${p.job_id}?model_id=${encodeURIComponent(p.model_id)}`, headers: { authorization: `Bearer ${p.key}` } }));
}

// ---------------------------------------------------------------- phase 1

async function phaseLiveJobs() {
  const s = await startServer();
  try {
    await s.control("/clock/freeze");
    const base = await s.mem(SETTLE_FULL);
    log(`phase 1: ${MAX_JOBS.toLocaleString("en")} jobs through the API (frozen clock, timing fast, rate limits off); baseline RSS ${mb(base.rss)} MB`);
    const rows = [{ live_jobs: 0, rss_mb: mb(base.rss), rss_burst_mb: mb(base.firstRss), heap_used_mb: mb(base.heapUsed), heap_total_mb: mb(base.heapTotal), poll: null, poll_fixed: null }];
    let created = 0;
    const sample = [];
    for (const target of CHECKPOINTS) {
      const t0 = performance.now();
      const { polls } = await createJobs(s.origin, target - created, null, Math.max(1, Math.floor((target - created) / 500)));
      created = target;
      sample.push(...polls);
      // Every job is complete after a virtual second (timing fast); nothing expires for 24 h.
      await s.control("/clock/advance", { ms: 1_000 });
      const m = await s.mem(SETTLE_FULL);
      if (m.jobs !== target) throw new Error(`expected ${target} live jobs, the mock holds ${m.jobs}`);
      const requests = pollRequests(sample);
      const poll = await load({ url: s.origin, connections: CONNECTIONS, duration: POLL_SECONDS, warmup: 1, requests });
      const fixed = await load({ url: s.origin, connections: CONNECTIONS, duration: POLL_SECONDS, overallRate: FIXED_RATE, requests });
      if (poll.non2xx || fixed.non2xx || poll.errors || fixed.errors) throw new Error(`polls failed: ${JSON.stringify({ poll, fixed })}`);
      rows.push({ live_jobs: target, rss_mb: mb(m.rss), rss_burst_mb: mb(m.firstRss), heap_used_mb: mb(m.heapUsed), heap_total_mb: mb(m.heapTotal), gc_rounds: m.rounds, poll, poll_fixed: fixed, create_s: round2((performance.now() - t0) / 1000) });
      log(`  ${target.toLocaleString("en").padStart(7)} jobs: RSS ${mb(m.rss)} MB settled (${mb(m.firstRss)} MB right after the burst), heap used ${mb(m.heapUsed)} MB; poll ${poll.rps} req/s p99 ${poll.p99} ms; at ${FIXED_RATE} req/s p99 ${fixed.p99} ms (${sample.length} distinct jobs polled)`);
    }
    return rows;
  } finally {
    killChild(s.child);
  }
}

/**
 * Creates `amount` jobs through the API, one autocannon run per key so each job's key is known;
 * returns poll requests for every `keepEvery`-th job.
 */
async function createJobs(origin, amount, webhookUrl, keepEvery) {
  const all = [];
  const per = Math.ceil(amount / KEYS.length);
  let left = amount;
  for (const key of KEYS) {
    const n = Math.min(per, left);
    if (n <= 0) break;
    left -= n;
    const reqs = submitRequests(key, webhookUrl);
    const polls = [];
    let i = 0;
    const r = await load({
      url: origin, connections: CONNECTIONS, amount: n, requests: reqs,
      onResponse: (status, body) => {
        if (status !== 202 || i++ % keepEvery !== 0) return;
        const b = JSON.parse(body);
        polls.push({ job_id: b.job_id, model_id: b.model_id, key });
      },
    });
    if (r.non2xx || r.errors) throw new Error(`creating jobs: ${r.non2xx} non-2xx, ${r.errors} errors`);
    all.push(...polls);
  }
  return { polls: all };
}

// ---------------------------------------------------------------- phase 2

async function phaseSoak() {
  let received = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, HOST, r));
  const webhookUrl = `http://${HOST}:${receiver.address().port}/hook`;
  const s = await startServer();
  try {
    await s.control("/clock/freeze");
    const base = await s.mem(SETTLE_FULL);
    log(`phase 2: ${HOURS} h of virtual time, ${PER_STEP} submits (¼ with a webhook) + ${Math.ceil(PER_STEP / 2)} polls + 2 image downloads every 10 virtual minutes; baseline RSS ${mb(base.rss)} MB`);
    const hours = [];
    const t0 = performance.now();
    for (let step = 1; step <= HOURS * STEPS_PER_HOUR; step++) {
      // Small batches: plain fetch with 8 in flight (autocannon needs a second to wind up and down).
      const submits = Array.from({ length: PER_STEP }, (_, i) => {
        const key = KEYS[Math.floor(i / 4) % KEYS.length];
        return { key, ...submitRequests(key, webhookUrl)[i % 4] };
      });
      const created = await pool(submits, 8, async (r) => {
        const res = await json(s.origin + r.path, { method: "POST", headers: r.headers, body: r.body });
        if (res.status !== 202) throw new Error(`soak submit answered ${res.status} ${JSON.stringify(res.body)}`);
        return { key: r.key, job_id: res.body.job_id, model_id: res.body.model_id };
      });
      // Jobs finish within a virtual second; then the clock moves on and webhooks and expiry fall due.
      await s.control("/clock/advance", { ms: 1_000 });
      await pool(pollRequests(created.filter((_, i) => i % 2 === 0)), 8, async (r) => {
        const res = await json(s.origin + r.path, { headers: r.headers });
        if (res.status !== 200) throw new Error(`soak poll answered ${res.status} ${JSON.stringify(res.body)}`);
      });
      for (const job of created.filter((j) => j.model_id === "image-apps-v2/virtual-try-on").slice(0, 2)) {
        const r = await fetch(`${s.origin}/cdn/results/${job.job_id}/0.png`);
        await r.arrayBuffer();
        if (r.status !== 200) throw new Error(`result image answered ${r.status}`);
      }
      await s.control("/clock/advance", { ms: STEP_MS - 1_000 });
      if (step % STEPS_PER_HOUR === 0) {
        const m = await s.mem(SETTLE_HOURLY);
        const hour = step / STEPS_PER_HOUR;
        hours.push({ hour, rss_mb: mb(m.rss), heap_used_mb: mb(m.heapUsed), live_jobs: m.jobs, deliveries: m.deliveries, journal: m.journal, webhooks_received: received });
        if (hour % 6 === 0) log(`  hour ${String(hour).padStart(2)}: RSS ${mb(m.rss)} MB, heap ${mb(m.heapUsed)} MB, ${m.jobs} live jobs, ${m.deliveries} deliveries, journal ${m.journal} (${round2((performance.now() - t0) / 1000)} s)`);
      }
    }
    return { baseline_rss_mb: mb(base.rss), hours, webhooks_received: received, seconds: round2((performance.now() - t0) / 1000) };
  } finally {
    killChild(s.child);
    receiver.close();
    receiver.closeAllConnections();
  }
}

function spreadOf(values) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const min = Math.min(...values), max = Math.max(...values);
  return { mean: round2(mean), min, max, pct: round2((Math.max(max - mean, mean - min) / mean) * 100) };
}

async function main() {
  if (typeof global.gc !== "function") log("note: run with node --expose-gc (npm run bench:scale does); the server child gets it either way.");
  const started = performance.now();
  const loadBefore = os.loadavg()[0];
  const only = process.env.SCALE_ONLY;
  const live = only === "soak" ? [] : await phaseLiveJobs();
  const soak = only === "live" ? { hours: [], baseline_rss_mb: null, webhooks_received: 0, seconds: 0 } : await phaseSoak();
  const afterDay = soak.hours.filter((h) => h.hour > 24);
  const rssSpread = afterDay.length ? spreadOf(afterDay.map((h) => h.rss_mb)) : null;
  const heapSpread = afterDay.length ? spreadOf(afterDay.map((h) => h.heap_used_mb)) : null;
  const top = live.at(-1);
  const targets = [
    top && { target: `${top.live_jobs.toLocaleString("en")} live jobs ≤ ${TARGETS.rss_100k_mb} MB RSS (settled)`, value: top.rss_mb, pass: top.rss_mb <= TARGETS.rss_100k_mb },
    { target: `RSS after day one within ±${TARGETS.spread_pct} %`, value: rssSpread ? `±${rssSpread.pct} %` : null, pass: rssSpread ? rssSpread.pct <= TARGETS.spread_pct : null },
  ].filter(Boolean);
  const verdict = (ok) => (ok === null ? "n/a" : ok ? "PASS" : "MISS");
  const out = [
    "",
    `live jobs, created through the API (frozen clock, then advanced 1 s so all are complete). "RSS burst": after one forced GC right`,
    `after creating them at full speed; "RSS": settled, forced GCs every 250 ms until RSS stops moving (V8 compacts and returns`,
    `pages lazily). Polls: ${CONNECTIONS} connections, ${POLL_SECONDS} s, cycling over a sample of the jobs (~500 from each batch).`,
    "",
    table(
      ["live jobs", "RSS MB", "RSS burst MB", "heap used MB", "poll req/s", "poll p50 ms", "poll p99 ms", `p99 ms at ${FIXED_RATE}/s`],
      live.map((r) => [r.live_jobs, r.rss_mb, r.rss_burst_mb, r.heap_used_mb, r.poll?.rps ?? null, r.poll?.p50 ?? null, r.poll?.p99 ?? null, r.poll_fixed?.p99 ?? null]),
    ),
    "",
    `${HOURS} h of virtual time: ${PER_STEP} submits every 10 virtual minutes (${(PER_STEP * 6).toLocaleString("en")}/h, ¼ with a webhook), polls and image downloads; RSS after forced GCs (until two readings agree within 0.5 MB, ≤ 2 s) each simulated hour; ${soak.seconds} s of wall time; baseline RSS ${soak.baseline_rss_mb} MB`,
    "",
    table(["hour", "RSS MB", "heap used MB", "live jobs", "deliveries", "journal"], soak.hours.map((h) => [h.hour, h.rss_mb, h.heap_used_mb, h.live_jobs, h.deliveries, h.journal])),
    "",
    rssSpread ? `after day one (hours 25–${HOURS}): RSS mean ${rssSpread.mean} MB, min ${rssSpread.min}, max ${rssSpread.max}, spread ±${rssSpread.pct} %; heap used mean ${heapSpread.mean} MB, spread ±${heapSpread.pct} %` : "(fewer than 25 hours simulated: no after-day-one spread)",
    `webhooks received by the bench's receiver: ${soak.webhooks_received}`,
    "",
    table(["target", "value", "result"], targets.map((t) => [t.target, t.value, verdict(t.pass)])),
    "",
    `total wall time ${round2((performance.now() - started) / 1000)} s; ${machine().cpus} CPUs, node ${process.version}; load average ${loadBefore.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`,
  ];
  console.log(out.join("\n"));
  const file = writeResult("scale.json", {
    date: new Date().toISOString(),
    machine: machine(),
    load_average: { start: loadBefore, end: os.loadavg()[0] },
    settings: { checkpoints: CHECKPOINTS, per_step: PER_STEP, step_virtual_ms: STEP_MS, hours: HOURS, poll_seconds: POLL_SECONDS, connections: CONNECTIONS, fixed_rate: FIXED_RATE, timing: "fast", rate_limits: "off" },
    live_jobs: live,
    soak: { ...soak, after_day_one: { rss: rssSpread, heap_used: heapSpread } },
    targets,
  });
  console.log(`\nwritten: ${file}`);
}

main()
  .catch((e) => {
    console.error(`bench:scale failed: ${e.stack ?? e}`);
    process.exitCode = 1;
  })
  .finally(killAllChildren);
