// A private redis-server for tests and benchmarks: Debian's binary, installed
// when missing (as root), started on a free loopback port in a temp directory,
// and always stopped, even when the process that started it crashes.
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export const INSTALL_COMMAND = "apt-get update && apt-get install -y redis-server";
const CANDIDATES = ["/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server"];

/** The redis-server binary on this machine, or null. */
export function findRedisServer() {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const path of [...CANDIDATES, ...dirs.map((d) => join(d, "redis-server"))]) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      /* not here */
    }
  }
  return null;
}

/**
 * The redis-server binary, installing Debian's package when it is missing and
 * this process runs as root. Otherwise it throws, naming the command to run:
 * a missing Redis is never a silent skip (and under CI=true never a skip at all).
 */
export function ensureRedisServer(log = (s) => console.error(s)) {
  const found = findRedisServer();
  if (found) return found;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root) throw new Error(`redis-server is not installed, and installing it needs root: run \`sudo sh -c '${INSTALL_COMMAND}'\`, then run the tests again.`);
  log("redis-server is missing: installing Debian's package (apt-get update, apt-get install -y redis-server)…");
  // Waits for the dpkg lock rather than failing, should another install (a browser, say) be running.
  const wait = ["-o", "DPkg::Lock::Timeout=300"];
  for (const args of [[...wait, "update"], [...wait, "install", "-y", "--no-install-recommends", "redis-server"]]) {
    const r = spawnSync("apt-get", args, { encoding: "utf8", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, stdio: ["ignore", "pipe", "pipe"] });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}):\n${(r.stderr || r.stdout || "").slice(-2000)}\nRun \`${INSTALL_COMMAND}\` by hand.`);
  }
  // The package may start its own service on 6379; it is left alone: every user here starts a private one.
  const installed = findRedisServer();
  if (!installed) throw new Error(`apt-get installed redis-server, but no redis-server binary was found in ${CANDIDATES.join(", ")} or PATH.`);
  return installed;
}

/** A loopback port that was free a moment ago (`--port 0` would disable TCP in redis-server). */
export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve, reject) => srv.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const running = new Set();
// Whatever ends this process, its Redis servers end with it.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts redis-server on 127.0.0.1. Options: port (default: a free one), dir
 * (default: a new temp dir, removed on stop), appendonly (default false: no
 * persistence, as tests want unless they are about it).
 */
export async function startRedisServer(opts = {}) {
  const binary = opts.binary ?? ensureRedisServer();
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "artemotion-redis-"));
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await launch(binary, port, dir, ownDir, opts);
    } catch (e) {
      lastError = e;
      // Someone took the port between the check and the start: try another (not when one was asked for).
      if (opts.port !== undefined || !/Address already in use/i.test(e.message)) break;
    }
  }
  if (ownDir) rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

function launch(binary, port, dir, ownDir, opts) {
  const args = [
    "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", opts.appendonly ? "yes" : "no",
    "--appendfsync", "everysec", "--daemonize", "no", "--logfile", "", "--loglevel", "notice", ...(opts.extraArgs ?? []),
  ];
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  const keep = (s) => (output = (output + s).slice(-8000));
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const server = {
    port, dir, url: `redis://127.0.0.1:${port}`, pid: child.pid, child, exited,
    /** Stops it (SIGTERM: with appendonly it flushes first) and waits; removes its temp dir unless the caller gave one. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(t);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    /** Kills it at once (a crash), keeping its dir. */
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout.resume();
      if (!err) return resolve(server);
      child.kill("SIGKILL");
      reject(err);
    };
    const timer = setTimeout(() => settle(new Error(`redis-server on port ${port} not ready after 10 s:\n${output.slice(-2000)}`)), 10_000);
    void exited.then(({ code, signal }) => settle(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${output.slice(-2000)}`)));
    child.once("error", (e) => settle(e));
    child.stderr.setEncoding("utf8").on("data", keep);
    child.stdout.setEncoding("utf8").on("data", (s) => {
      keep(s);
      if (!settled && /Ready to accept connections/.test(output)) settle(null);
    });
  });
}
