// npm run bench:chaos: the mock under seeded chaos. One mock process (a CLI
// child), polled at a fixed 500 requests/s over many keys, in alternating
// rounds with chaos off and on (--chaos 0.1, flaky-network, set through
// /__mock/chaos). It compares the p99 of the requests chaos left alone with
// the p99 of the same load without chaos (target: within 2×), then soaks under
// chaos and samples the process's RSS to show memory stays flat.
// Writes bench/results/chaos.json.
//
// Many short alternating rounds, compared by their median p99 (and the best
// round of each), so a shared machine's load spikes hit both sides alike.
//
// Env: CHAOS_RATE (default 500 req/s), CHAOS_DURATION (s per round, default 6),
// CHAOS_ROUNDS (default 8), CHAOS_SOAK (s, default 60), CHAOS_SHARE (default 0.1),
// CHAOS_KEYS (default 50).
import { readFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import { envNumber, json, killAllChildren, machine, median, pct, round2, startMockCli, table, writeResult } from "./lib.mjs";

const RATE = envNumber("CHAOS_RATE", 500);
const DURATION = envNumber("CHAOS_DURATION", 6);
const ROUNDS = envNumber("CHAOS_ROUNDS", 8);
const SOAK = envNumber("CHAOS_SOAK", 60);
const SHARE = envNumber("CHAOS_SHARE", 0.1);
const KEYS = envNumber("CHAOS_KEYS", 50);
const PROFILE = "flaky-network";
const MOCK_FLAGS = ["--rate-limits", "off", "--credits", "100000000", "--log-level", "silent", "--timing", "fast", "--seed", "42"];
const log = (s) => console.error(s);

/** The child's resident set size in MB, from /proc (Linux); null elsewhere. */
function rssMb(pid) {
  try {
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return round2(kb / 1024);
  } catch {
    return null;
  }
}

/** One completed vision job per key, to poll. */
async function setup(origin) {
  const targets = [];
  for (let i = 0; i < KEYS; i++) {
    const key = `ae_test_chaosbench${String(i).padStart(4, "0")}`;
    const r = await json(`${origin}/api/v1/vision`, {
      method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model_id: "moondream2", image_url: "https://example.com/p.jpg" }),
    });
    if (r.status !== 202) throw new Error(`setup submit answered ${r.status}`);
    targets.push({ key, path: new URL(r.body.poll_url).pathname + new URL(r.body.poll_url).search });
  }
  await json(`${origin}/__mock/clock/advance`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ms: 60_000 }) });
  return targets;
}

const setChaos = (origin, rate) =>
  json(`${origin}/__mock/chaos`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ rate, profile: PROFILE }) });

/**
 * Fixed-rate load: a request every 1000/RATE ms (batched per timer tick),
 * each on a keep-alive agent with no socket limit, so a connection held by a
 * latency fault never queues the next request behind it. Latency is measured
 * per request; a request is "affected" when it carries X-Mock-Fault or fails.
 */
async function fixedRate(port, targets, seconds, onSecond = () => {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const clean = [];
  let affected = 0;
  let other = 0;
  let sent = 0;
  let pending = 0;
  const fire = () => {
    const t = targets[sent++ % targets.length];
    pending++;
    const t0 = performance.now();
    const done = (kind) => {
      pending--;
      if (kind === "clean") clean.push(performance.now() - t0);
      else if (kind === "affected") affected++;
      else other++;
    };
    const req = http.request({ agent, host: "127.0.0.1", port, path: t.path, headers: { authorization: `Bearer ${t.key}` } }, (res) => {
      res.resume();
      res.on("end", () => done(res.headers["x-mock-fault"] ? "affected" : res.statusCode === 200 ? "clean" : "other"));
      res.on("error", () => done("affected"));
    });
    req.on("error", () => done("affected"));
    req.end();
  };
  const interval = 1000 / RATE;
  const start = performance.now();
  let next = start;
  let lastSecond = 0;
  while (performance.now() - start < seconds * 1000) {
    const now = performance.now();
    while (next <= now) {
      fire();
      next += interval;
    }
    const second = Math.floor((now - start) / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      onSecond(second);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const achieved = sent / ((performance.now() - start) / 1000);
  // Let the requests a latency fault holds finish, so they do not spill into the next round.
  for (let waited = 0; pending > 0 && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  agent.destroy();
  clean.sort((a, b) => a - b);
  return { sent, achieved_rps: Math.round(achieved), clean: clean.length, affected, other, affected_share: round2(affected / sent), p50: round2(pct(clean, 50)), p99: round2(pct(clean, 99)), max: round2(clean.at(-1) ?? 0) };
}

async function main() {
  const m = machine();
  const loadStart = os.loadavg()[0];
  log(`bench:chaos: ${RATE} req/s polls over ${KEYS} keys, ${ROUNDS} rounds of ${DURATION} s off / ${DURATION} s at --chaos ${SHARE} ${PROFILE}, then a ${SOAK} s soak; ${m.cpus} CPUs, node ${process.version}, load average ${loadStart.toFixed(2)}`);
  if (loadStart > m.cpus) log(`  note: the load average (${loadStart.toFixed(2)}) is above the CPU count; p99 figures will mostly measure the other load`);
  const { child, origin } = await startMockCli(MOCK_FLAGS);
  const port = Number(new URL(origin).port);
  const targets = await setup(origin);
  log("warm-up, 3 s…");
  await fixedRate(port, targets, 3);
  const off = [];
  const on = [];
  for (let round = 1; round <= ROUNDS; round++) {
    await setChaos(origin, 0);
    const a = await fixedRate(port, targets, DURATION);
    off.push(a);
    log(`  round ${round} chaos off: ${a.achieved_rps} req/s, clean p50 ${a.p50} ms p99 ${a.p99} ms (${a.clean} clean, ${a.affected} affected)`);
    await setChaos(origin, SHARE);
    const b = await fixedRate(port, targets, DURATION);
    on.push(b);
    log(`  round ${round} chaos on:  ${b.achieved_rps} req/s, unaffected p50 ${b.p50} ms p99 ${b.p99} ms (${b.clean} unaffected, ${b.affected} affected = ${b.affected_share})`);
  }

  log(`soak at --chaos ${SHARE}, ${SOAK} s, RSS every 5 s…`);
  await setChaos(origin, SHARE);
  const rss = [{ s: 0, mb: rssMb(child.pid) }];
  const soak = await fixedRate(port, targets, SOAK, (second) => {
    if (second % 5 === 0) rss.push({ s: second, mb: rssMb(child.pid) });
  });
  rss.push({ s: SOAK, mb: rssMb(child.pid) });
  const faults = (await json(`${origin}/__mock/faults?limit=1`)).body;
  killAllChildren();

  const offP99 = median(off.map((r) => r.p99));
  const onP99 = median(on.map((r) => r.p99));
  const ratio = round2(onP99 / offP99);
  const bestOff = Math.min(...off.map((r) => r.p99));
  const bestOn = Math.min(...on.map((r) => r.p99));
  // Flat: the second half of the soak stays within the first half's range give or take 10 %.
  const mbs = rss.map((r) => r.mb).filter((x) => x !== null);
  const half = Math.floor(mbs.length / 2);
  const firstHalfMax = Math.max(...mbs.slice(0, half));
  const secondHalfMax = Math.max(...mbs.slice(half));
  const growth = round2(((secondHalfMax - firstHalfMax) / firstHalfMax) * 100);
  const loadEnd = os.loadavg()[0];
  const targetsMet = [
    { target: "unaffected p99 under chaos ≤ 2× p99 without chaos (medians of the rounds)", value: `${onP99} / ${offP99} ms = ${ratio}×`, pass: ratio <= 2 },
    { target: "the same, best round of each", value: `${bestOn} / ${bestOff} ms = ${round2(bestOn / bestOff)}×`, pass: bestOn / bestOff <= 2 },
    { target: "RSS flat over the soak (second half's peak ≤ first half's + 10 %)", value: `${firstHalfMax} → ${secondHalfMax} MB (${growth} %)`, pass: growth <= 10 },
  ];
  console.log(
    [
      "",
      `fixed ${RATE} req/s of polls over ${KEYS} keys, keep-alive agent without a socket limit; chaos ${SHARE} ${PROFILE} (default fault parameters: latency lognormal median 1000 ms)`,
      `${m.cpus} CPUs (${m.cpu}), node ${process.version}; load average ${loadStart.toFixed(2)} at start, ${loadEnd.toFixed(2)} at end`,
      "",
      table(
        ["round", "chaos", "achieved req/s", "clean", "affected", "share", "p50 ms", "p99 ms", "max ms"],
        [...off.map((r, i) => [i + 1, "off", r.achieved_rps, r.clean, r.affected, r.affected_share, r.p50, r.p99, r.max]), ...on.map((r, i) => [i + 1, "on", r.achieved_rps, r.clean, r.affected, r.affected_share, r.p50, r.p99, r.max])],
      ),
      "",
      `soak ${SOAK} s at chaos ${SHARE}: ${soak.sent} requests, ${soak.affected} affected (${soak.affected_share}); unaffected p99 ${soak.p99} ms; /__mock/faults total ${faults.total}`,
      `RSS MB: ${rss.map((r) => `${r.s}s ${r.mb}`).join(", ")}`,
      "",
      table(["target", "value", "result"], targetsMet.map((t) => [t.target, t.value, t.pass ? "PASS" : "MISS"])),
    ].join("\n"),
  );
  const file = writeResult("chaos.json", {
    date: new Date().toISOString(), machine: m, load_average: { start: loadStart, end: loadEnd },
    settings: { rate: RATE, duration_s: DURATION, rounds: ROUNDS, soak_s: SOAK, chaos: SHARE, profile: PROFILE, keys: KEYS, mock_flags: MOCK_FLAGS },
    off, on, p99: { off: offP99, on: onP99, ratio, best_off: bestOff, best_on: bestOn }, soak: { ...soak, rss, growth_percent: growth, faults_total: faults.total }, targets: targetsMet,
  });
  console.log(`\nwritten: ${file}`);
}

main()
  .catch((e) => {
    console.error(`bench:chaos failed: ${e.stack ?? e}`);
    process.exitCode = 1;
  })
  .finally(killAllChildren);
