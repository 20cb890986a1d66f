import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startRedisServer, type RedisServer } from "../scripts/redis-server.mjs";
import { call, MAIN, TRYON } from "./helpers/replicas.js";

/** `artemotion-mock serve` on a Redis store, as a user starts it: exit codes, warnings, --workers. */
let redis: RedisServer;

beforeAll(async () => {
  // An eviction policy the mock should warn about.
  redis = await startRedisServer({ extraArgs: ["--maxmemory-policy", "allkeys-lru"] });
});

afterAll(async () => {
  await redis?.stop();
});

function serve(args: string[]) {
  const child = spawn(process.execPath, [MAIN, "serve", "--log-level", "silent", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", () => {
      const m = /artemotion-mock ready: (http:\/\/[^\s/]+)\/api\/v1.*\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  ready.catch(() => {}); // Awaited only by the tests that expect a start.
  return { child, exited, ready, out: () => out, err: () => err };
}

/** Live child processes of `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("serve --store redis://", () => {
  it.concurrent("exits 2 naming the URL when Redis cannot be reached at start", async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const p = serve(["--port", "0", "--store", url]);
    expect(await p.exited).toBe(2);
    expect(p.err()).toContain(`cannot open store ${url}`);
    expect(p.out()).toBe("");
  });

  it.concurrent("refuses --workers without a shared store, naming --store redis://", async () => {
    const p = serve(["--port", "0", "--workers", "2"]);
    expect(await p.exited).toBe(2);
    expect(p.err()).toContain("--store redis://");
  });

  it.concurrent("serves with --workers 2 on one port: one ready line, both workers answer, SIGTERM stops them all with exit 0", async () => {
    const p = serve(["--port", "0", "--store", redis.url, "--namespace", "workers", "--workers", "2", "--replica-id", "box", "--rate-limits", "off", "--log-level", "warn"]);
    const origin = await p.ready;
    // Each worker opens the store and warns through its log.
    expect(`${p.out()}${p.err()}`).toContain("maxmemory-policy allkeys-lru");
    const key = "ae_test_workers00001";
    // Fresh connections each time, so the primary spreads them over the workers.
    const answers = await Promise.all(Array.from({ length: 20 }, () => call(origin, "/api/v1/tryon", { key, body: TRYON })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    let replicas = new Set<string>();
    for (let t = 0; t < 50 && replicas.size < 2; t++) {
      replicas = new Set((await call(origin, "/__mock/requests?limit=20")).body.requests.map((r: { replica: string }) => r.replica));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect([...replicas].sort()).toEqual(["box:w1", "box:w2"]);
    expect((await call(origin, `/__mock/accounts/${key}`)).body).toMatchObject({ credits: 1000 - 20 * 15, jobs: 20 });
    expect(p.out().match(/artemotion-mock ready/g)).toHaveLength(1);
    expect(p.out()).toContain("workers 2)");
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });

  it.concurrent("stops its workers when the primary is killed with SIGKILL, leaving no process behind", async () => {
    const p = serve(["--port", "0", "--store", redis.url, "--namespace", "orphans", "--workers", "2"]);
    await p.ready;
    const workers = childrenOf(p.child.pid!);
    expect(workers).toHaveLength(2);
    p.child.kill("SIGKILL");
    for (let t = 0; t < 100 && workers.some(alive); t++) await new Promise((r) => setTimeout(r, 50));
    const left = workers.filter(alive);
    for (const pid of left) process.kill(pid, "SIGKILL");
    expect(left).toEqual([]);
  });
});
