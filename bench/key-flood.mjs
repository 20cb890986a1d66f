// npm run bench:flood: what a flood of distinct API keys costs the mock. The
// CLI (`serve --port 0 --log-level silent`, defaults otherwise: --keys auto,
// --max-keys 100000, rate limits on) runs as a child. After a warm-up of
// 5,000 polls by one key, 100,000 distinct well-formed keys each poll an
// unknown job once, pipelined over keep-alive connections; then a second
// 100,000 new keys do the same, which shows what a key costs once the
// process itself is warm. RSS is VmRSS from /proc/<pid>/status, read after
// forced collections until it stops moving. Target (issue 17): the first
// flood adds at most 20 MB RSS, and no account is created.
// Writes bench/results/key-flood.json; exits 1 when a check fails.
//
// Env: FLOOD_KEYS (default 100000), FLOOD_ROUNDS (default 2),
// FLOOD_WARMUP (default 5000), FLOOD_CONNECTIONS (default 10),
// FLOOD_PIPELINING (default 10), FLOOD_TARGET_MB (default 20); FLOOD_SAME_KEY=1
// sends every flood with one key, as a control.
import { readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { ROOT, envNumber, json, killAllChildren, killChild, machine, mb, startMockCli, table, writeResult } from "./lib.mjs";

const KEYS = envNumber("FLOOD_KEYS", 100_000);
const CONNECTIONS = envNumber("FLOOD_CONNECTIONS", 10);
const PIPELINING = envNumber("FLOOD_PIPELINING", 10);
const TARGET_MB = envNumber("FLOOD_TARGET_MB", 20);
const ROUNDS = envNumber("FLOOD_ROUNDS", 2);
const WARMUP = envNumber("FLOOD_WARMUP", 5_000);
/** A control: every flood by one key, to tell what the keys cost from what the volume of requests costs. */
const SAME_KEY = process.env.FLOOD_SAME_KEY === "1";
const log = (s) => console.error(s);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mbOf = (kb) => Math.round((kb / 1024) * 10) / 10;

/** VmRSS and VmHWM (peak) of a process, in kB. */
function procMemory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/**
 * Forces collections (SIGUSR2, see targets/gc-on-signal.mjs) every 250 ms until
 * RSS holds within 0.5 MB four times in a row, at most 40 rounds. Returns RSS
 * (kB, from /proc) and the JS heap in use (bytes, as the child reported it).
 */
async function settled(mock) {
  let last = procMemory(mock.child.pid).rss;
  let still = 0;
  for (let round = 0; round < 40 && still < 4; round++) {
    mock.child.kill("SIGUSR2");
    await sleep(250);
    const now = procMemory(mock.child.pid).rss;
    still = Math.abs(now - last) < 512 ? still + 1 : 0;
    last = now;
  }
  return { rss: last, heapUsed: mock.heap().heapUsed };
}

/** The CLI with the GC preload; `heap()` is the child's last "gc-settled" report. */
async function startMock() {
  const { child, origin } = await startMockCli(["--log-level", "silent"], ["--expose-gc", "--import", join(ROOT, "bench/targets/gc-on-signal.mjs")]);
  let report = { heapUsed: NaN };
  let pending = "";
  child.stderr.on("data", (s) => {
    pending += s;
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.startsWith("gc-settled ")) report = JSON.parse(line.slice("gc-settled ".length));
    }
  });
  return { child, origin, heap: () => report };
}

/** One well-formed key per index: ae_test_ and 12 more characters, as real keys look. */
const keyOf = (i) => `ae_test_fl${i.toString(36).padStart(10, "0")}`;

/**
 * `amount` polls of unknown jobs, the i-th by `keyFor(i)`, over `CONNECTIONS`
 * keep-alive sockets with `PIPELINING` requests written back to back before
 * their answers are read. A small client of its own: autocannon stops at
 * `amount` requests sent, with the last pipelined answers still unread.
 * Resolves to { total, statuses: { [status]: count }, seconds }.
 */
function flood(origin, amount, keyFor) {
  const { hostname, port } = new URL(origin);
  const statuses = {};
  let next = 0;
  let total = 0;
  const started = performance.now();
  const connection = () =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: hostname, port: Number(port) });
      socket.setNoDelay(true);
      let buf = Buffer.alloc(0);
      let waiting = 0;
      const send = () => {
        const batch = [];
        while (batch.length < PIPELINING && next < amount) {
          const i = next++;
          batch.push(`GET /api/v1/jobs/job_${i.toString(36)}?model_id=moondream2 HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${keyFor(i)}\r\n\r\n`);
        }
        if (batch.length === 0) return socket.end(resolve);
        waiting = batch.length;
        socket.write(batch.join(""));
      };
      socket.on("data", (chunk) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        for (;;) {
          const end = buf.indexOf("\r\n\r\n");
          if (end === -1) break;
          const head = buf.subarray(0, end).toString("latin1");
          const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
          if (!Number.isFinite(length)) return reject(new Error(`an answer without Content-Length: ${head.slice(0, 200)}`));
          if (buf.length < end + 4 + length) break;
          const status = head.slice(9, 12);
          statuses[status] = (statuses[status] ?? 0) + 1;
          total++;
          buf = buf.subarray(end + 4 + length);
          if (--waiting === 0) send();
        }
      });
      socket.on("error", reject);
      socket.on("connect", send);
    });
  return Promise.all(Array.from({ length: CONNECTIONS }, connection)).then(() => ({ total, statuses, seconds: (performance.now() - started) / 1000 }));
}

const count = (result, status) => result.statuses[status] ?? 0;

async function main() {
  log(`key flood: ${ROUNDS} × ${KEYS.toLocaleString("en")} ${SAME_KEY ? "polls by ONE key (control)" : "distinct keys"}, each polling an unknown job once (${CONNECTIONS} keep-alive connections, pipelining ${PIPELINING})`);
  const mock = await startMock();
  try {
    await sleep(500); // the control API loads lazily 250 ms after the ready line
    const rows = [];
    const reading = async (phase, result) => {
      const m = await settled(mock);
      const prev = rows.at(-1);
      rows.push({
        phase, requests: result?.total ?? null, not_found_404: result ? count(result, 404) : null, rps: result ? Math.round(result.total / result.seconds) : null,
        rss_mb: mbOf(m.rss), heap_used_mb: mb(m.heapUsed), added_rss_mb: prev ? mbOf(m.rss - prev.rss_kb) : null,
        added_heap_mb: prev ? mb(m.heapUsed - prev.heap_used) : null, peak_rss_mb: mbOf(procMemory(mock.child.pid).hwm), rss_kb: m.rss, heap_used: m.heapUsed,
      });
      log(`${phase}: RSS ${mbOf(m.rss)} MB, JS heap in use ${mb(m.heapUsed)} MB`);
    };
    await reading("started");
    // Warm-up with one key, so lazily loaded code and the request path are in place.
    const warm = await flood(origin(mock), WARMUP, () => "ae_test_warmup000001");
    if (count(warm, 404) !== WARMUP) throw new Error(`warm-up: expected ${WARMUP} 404s, got ${JSON.stringify(warm.statuses)}`);
    await reading(`warm-up: ${WARMUP.toLocaleString("en")} polls, one key`, warm);
    const problems = [];
    for (let round = 0; round < ROUNDS; round++) {
      const result = await flood(origin(mock), KEYS, SAME_KEY ? () => "ae_test_samekey00001" : (i) => keyOf(round * KEYS + i));
      if (count(result, 404) !== KEYS) problems.push(`flood ${round + 1}: expected ${KEYS} answers 404 NOT_FOUND, got ${JSON.stringify(result.statuses)}`);
      await reading(`flood ${round + 1}: ${KEYS.toLocaleString("en")} ${SAME_KEY ? "polls, one key" : "new keys"}`, result);
    }
    const accounts = await json(`${origin(mock)}/__mock/accounts`);
    const journal = await json(`${origin(mock)}/__mock/requests?limit=1000`);
    const distinctInJournal = new Set(journal.body.requests.map((r) => r.key_ref)).size;

    console.log("");
    console.log(table(
      ["phase", "requests", "404s", "req/s", "RSS", "added RSS", "JS heap", "added heap", "peak RSS"],
      rows.map((r) => [r.phase, r.requests, r.not_found_404, r.rps, `${r.rss_mb} MB`, r.added_rss_mb === null ? null : `${r.added_rss_mb} MB`, `${r.heap_used_mb} MB`, r.added_heap_mb === null ? null : `${r.added_heap_mb} MB`, `${r.peak_rss_mb} MB`]),
    ));
    console.log("");
    console.log("Each reading is settled (forced collections until RSS holds). RSS is VmRSS, peak VmHWM, from /proc; JS heap is heapUsed.");
    console.log(`Accounts after: ${accounts.body.accounts.length}. Distinct keys in the last 1000 journal entries: ${distinctInJournal}.`);
    const first = rows[2];
    const file = writeResult("key-flood.json", {
      date: new Date().toISOString(), machine: machine(), same_key: SAME_KEY, keys: KEYS, rounds: ROUNDS, connections: CONNECTIONS, pipelining: PIPELINING, warmup: WARMUP, target_mb: TARGET_MB,
      accounts_after: accounts.body.accounts.length, distinct_keys_in_last_1000: distinctInJournal,
      phases: rows.map(({ rss_kb: _r, heap_used: _h, ...r }) => r),
    });
    console.log(`wrote ${file}`);
    if (accounts.body.accounts.length !== 0) problems.push(`reads created ${accounts.body.accounts.length} accounts`);
    if (!SAME_KEY && distinctInJournal !== Math.min(1000, KEYS)) problems.push(`the last 1000 journal entries name ${distinctInJournal} keys, not 1000 distinct ones`);
    if (first.added_rss_mb > TARGET_MB) problems.push(`the first flood added ${first.added_rss_mb} MB RSS, over the ${TARGET_MB} MB target`);
    for (const p of problems) console.log(`FAIL: ${p}`);
    if (problems.length === 0) console.log(`OK: ${KEYS.toLocaleString("en")} ${SAME_KEY ? "polls by one key" : "distinct keys"} added ${first.added_rss_mb} MB RSS (target ≤ ${TARGET_MB} MB) and created no account.`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    killChild(mock.child, "SIGTERM");
  }
}

const origin = (mock) => mock.origin;

main().then(
  (code) => {
    killAllChildren();
    process.exit(code);
  },
  (err) => {
    console.error(err);
    killAllChildren();
    process.exit(2);
  },
);
