// Shared helpers for bench/run.mjs and bench/scale.mjs: child processes that
// are always cleaned up, autocannon runs with sub-millisecond percentiles, and
// plain-text tables. Everything talks to 127.0.0.1 only.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const RESULTS_DIR = join(ROOT, "bench", "results");
export const HOST = "127.0.0.1";

// ---------------------------------------------------------------- children

const children = new Set();

/** Kills one child (its whole process group when it was started detached). */
export function killChild(child, signal = "SIGKILL") {
  if (!children.has(child)) return;
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (child.detachedGroup) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    /* already gone */
  }
}

export function killAllChildren() {
  for (const child of [...children]) killChild(child);
}

// Every child dies with the bench, however the bench ends.
process.on("exit", killAllChildren);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    killAllChildren();
    process.exit(130);
  });
}

/**
 * Spawns a process and resolves once `ready` matches a line of its stdout
 * (returning the match), or rejects after `timeoutMs` or on early exit.
 * `detached` puts it in its own process group (for npx, which forks).
 */
export function spawnChild(cmd, args, { ready, timeoutMs = 15_000, detached = false, env, ipc = false, cwd = ROOT } = {}) {
  const stdio = ["ignore", ready ? "pipe" : "ignore", "pipe"];
  if (ipc) stdio.push("ipc");
  const child = spawn(cmd, args, { cwd, stdio, detached, env: { ...process.env, ...env } });
  child.detachedGroup = detached;
  children.add(child);
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s) => {
    stderr = (stderr + s).slice(-4000);
  });
  child.stderrTail = () => stderr;
  if (!ready) return { child, match: null };
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => fail(new Error(`${cmd} ${args.join(" ")}: not ready after ${timeoutMs} ms\n${stderr}`)), timeoutMs);
    const onExit = (code, signal) => fail(new Error(`${cmd} ${args.join(" ")} exited (${code ?? signal}) before it was ready\n${stderr}`));
    const fail = (err) => {
      clearTimeout(timer);
      child.off("exit", onExit);
      killChild(child);
      reject(err);
    };
    child.once("exit", onExit);
    child.stdout.setEncoding("utf8");
    const onData = (s) => {
      buf += s;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = ready.exec(line);
        if (m) {
          clearTimeout(timer);
          child.off("exit", onExit);
          // Keep draining stdout so a chatty child never blocks on a full pipe.
          child.stdout.off("data", onData);
          child.stdout.resume();
          resolve({ child, match: m });
          return;
        }
      }
    };
    child.stdout.on("data", onData);
  });
}

/** The mock's CLI ready line: "artemotion-mock ready: http://127.0.0.1:PORT/api/v1 (...)". */
export const MOCK_READY = /artemotion-mock ready: (http:\/\/[^\s/]+)\/api\/v1/;

/** Starts `node dist/cli/main.js serve` with the given flags; resolves to { child, origin }. */
export async function startMockCli(flags, nodeArgs = []) {
  const { child, match } = await spawnChild(process.execPath, [...nodeArgs, join(ROOT, "dist/cli/main.js"), "serve", "--host", HOST, "--port", "0", ...flags], { ready: MOCK_READY });
  return { child, origin: match[1] };
}

/** A port that was free a moment ago, for servers (Prism) that cannot be told to pick one. */
export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve, reject) => srv.once("error", reject).listen(0, HOST, resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Polls `url` until it answers 200, or throws after `timeoutMs`. */
export async function waitFor200(url, { timeoutMs = 60_000, init } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, init);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${url}: no 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function json(url, init) {
  const res = await fetch(url, init);
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

// ---------------------------------------------------------------- load

/**
 * One autocannon run. Latencies are recorded from autocannon's per-response
 * event at sub-millisecond resolution (autocannon's own histogram rounds to
 * whole ms). Returns requests/s, p50/p99 in ms, and error counts.
 */
export async function load({ url, method = "GET", headers, body, connections, duration, overallRate, amount, requests, onResponse, warmup = 0 }) {
  const base = { url, method, headers, body, connections, pipelining: 1, timeout: 10 };
  if (warmup > 0) await run({ ...base, duration: warmup }, () => {});
  const lat = [];
  const opts = { ...base };
  if (amount) opts.amount = amount;
  else opts.duration = duration;
  if (overallRate) opts.overallRate = overallRate;
  if (requests) opts.requests = requests;
  if (onResponse) opts.requests = (requests ?? [{}]).map((r) => ({ ...r, onResponse }));
  const result = await run(opts, (ms) => lat.push(ms));
  lat.sort((a, b) => a - b);
  const seconds = result.duration;
  const total = result.requests.total;
  return {
    requests: total,
    rps: Math.round(total / seconds),
    p50: round2(pct(lat, 50)),
    p99: round2(pct(lat, 99)),
    max: round2(lat.at(-1) ?? 0),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    seconds: round2(seconds),
  };
}

function run(opts, record) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    instance.on("response", (_client, _status, _bytes, ms) => record(ms));
  });
}

export function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const round2 = (n) => Math.round(n * 100) / 100;
export const mb = (bytes) => Math.round((bytes / 1024 / 1024) * 10) / 10;
export const median = (xs) => pct([...xs].sort((a, b) => a - b), 50);

// ---------------------------------------------------------------- output

/** A plain-text table; numbers right-aligned. */
export function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => (c === null || c === undefined ? "–" : String(c))));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const numeric = headers.map((_, i) => rows.every((r) => typeof r[i] === "number" || r[i] === null || r[i] === undefined));
  const line = (r) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ");
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

export function machine() {
  const cpus = os.cpus();
  return { node: process.version, platform: `${os.platform()} ${os.release()}`, cpu: cpus[0]?.model ?? "unknown", cpus: cpus.length, memory_gb: Math.round(os.totalmem() / 2 ** 30) };
}

export function writeResult(name, data) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, name);
  writeFileSync(file, JSON.stringify(data, null, 2) + "\n");
  return file;
}

export function envNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}


/** Runs `fn` over `items` with at most `concurrency` in flight; resolves to the results in order. */
export async function pool(items, concurrency, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
