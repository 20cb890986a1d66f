import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { optionsFromArgv } from "../src/cli/args.js";
import { CHAOS_PROFILE_NAMES, chaosCandidates, decideChaos } from "../src/domain/chaos.js";
import { keyRef } from "../src/domain/keys.js";
import { registryEntry } from "../src/domain/registry.js";
import { PHASES } from "../src/domain/scenarios.js";
import { resolveOptions } from "../src/options.js";
import type { MockServer } from "../src/server.js";
import { control, startMock, TestClient, TRYON_BODY } from "./helpers/client.js";
import { probe } from "./helpers/socket-probe.js";

describe("the chaos decision", () => {
  it("is a pure function of seed, key, phase and ordinal", () => {
    const a = Array.from({ length: 500 }, (_, i) => decideChaos(7, "ae_test_purekey01", "poll", i + 1, 0.3, "flaky-network"));
    const b = Array.from({ length: 500 }, (_, i) => decideChaos(7, "ae_test_purekey01", "poll", i + 1, 0.3, "flaky-network"));
    expect(b).toEqual(a);
    const otherSeed = Array.from({ length: 500 }, (_, i) => decideChaos(8, "ae_test_purekey01", "poll", i + 1, 0.3, "flaky-network"));
    const otherKey = Array.from({ length: 500 }, (_, i) => decideChaos(7, "ae_test_purekey02", "poll", i + 1, 0.3, "flaky-network"));
    expect(otherSeed).not.toEqual(a);
    expect(otherKey).not.toEqual(a);
  });

  it("fires at the rate, with every candidate of the profile and nothing else", () => {
    for (const profile of CHAOS_PROFILE_NAMES) {
      for (const phase of PHASES) {
        const candidates = chaosCandidates(profile, phase);
        const picks = new Map<string, number>();
        let fired = 0;
        for (let n = 1; n <= 20_000; n++) {
          const d = decideChaos(3, "ae_test_ratekey01", phase, n, 0.1, profile);
          if (!d) continue;
          fired++;
          picks.set(d.name, (picks.get(d.name) ?? 0) + 1);
        }
        if (candidates.length === 0) {
          expect(fired, `${profile} ${phase}`).toBe(0);
          continue;
        }
        expect(fired / 20_000, `${profile} ${phase}`).toBeGreaterThan(0.09);
        expect(fired / 20_000, `${profile} ${phase}`).toBeLessThan(0.11);
        expect([...picks.keys()].sort()).toEqual([...candidates].sort());
        for (const name of candidates) expect(registryEntry(name)?.phases, `${name} in ${profile}`).toContain(phase);
      }
    }
    expect(decideChaos(3, "ae_test_ratekey01", "submit", 1, 0, "flaky-network")).toBeNull();
    expect(Array.from({ length: 100 }, (_, n) => decideChaos(3, "ae_test_ratekey01", "submit", n + 1, 1, "overloaded")).every((d) => d !== null)).toBe(true);
  });
});

describe("--chaos and --chaos-profile", () => {
  it("are read from flags or the environment and validated", () => {
    expect(optionsFromArgv(["--chaos", "0.25", "--chaos-profile", "overloaded"], {}).options).toMatchObject({ chaos: 0.25, chaosProfile: "overloaded" });
    expect(optionsFromArgv([], { MOCK_CHAOS: ".1", MOCK_CHAOS_PROFILE: "degraded-upstream" }).options).toMatchObject({ chaos: 0.1, chaosProfile: "degraded-upstream" });
    expect(resolveOptions({})).toMatchObject({ chaos: 0, chaosProfile: "flaky-network" });
    expect(() => resolveOptions(optionsFromArgv(["--chaos", "1.5"], {}).options)).toThrow(/--chaos: must be a number from 0 to 1/);
    expect(() => resolveOptions(optionsFromArgv(["--chaos", "ten"], {}).options)).toThrow(/--chaos/);
    expect(() => resolveOptions({ chaosProfile: "stormy" as never })).toThrow(/--chaos-profile: must be one of flaky-network, overloaded, degraded-upstream/);
  });
});

describe("/__mock/chaos at run time", () => {
  let server: MockServer;
  beforeAll(async () => {
    ({ server } = await startMock({ seed: 31, timing: "instant" }));
    server.freeze();
  });
  afterAll(() => server.close());

  it("reads the rate, profile, seed and profiles, and changes them; bad values are 400 and change nothing", async () => {
    const read = await control(server, "GET", "/chaos");
    expect(read.body).toMatchObject({ rate: 0, profile: "flaky-network", seed: 31, params: {} });
    expect(Object.keys(read.body.profiles)).toEqual(CHAOS_PROFILE_NAMES);
    for (const bad of [{ rate: 2 }, { profile: "stormy" }, { params: { meltdown: {} } }, { params: { latency: { wait: 1 } } }, { rate: "0.5" }]) {
      const r = await control(server, "PUT", "/chaos", bad);
      expect([r.status, r.body.code], JSON.stringify(bad)).toEqual([400, "INVALID_REQUEST"]);
    }
    expect((await control(server, "GET", "/chaos")).body).toMatchObject({ rate: 0, profile: "flaky-network" });
    const set = await control(server, "PUT", "/chaos", { rate: 0.5, profile: "overloaded", params: { latency: { ms: 1 } } });
    expect(set.body).toMatchObject({ rate: 0.5, profile: "overloaded", params: { latency: { ms: 1, median_ms: 1000, sigma: 0.75 } } });
    await control(server, "PUT", "/chaos", { rate: 0 });
  });

  it("overloaded at rate 1: every poll and submit meets 429, 502 or latency, named in X-Mock-Fault; refused submits charge nothing", async () => {
    await control(server, "PUT", "/chaos", { rate: 0 });
    const api = new TestClient(server, "ae_test_overloaded01");
    const job = (await api.post("/tryon", TRYON_BODY)).body;
    await control(server, "PUT", "/chaos", { rate: 1, profile: "overloaded", params: { latency: { ms: 1 } } });
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await api.poll(job.poll_url);
      const fault = r.headers["x-mock-fault"]!;
      seen.add(fault.split(";")[0]!);
      if (fault === "rate_limited") expect([r.status, r.body.code, r.headers["retry-after"]]).toEqual([429, "RATE_LIMIT_EXCEEDED", "60"]);
      else if (fault === "status_error") expect([r.status, r.body.code]).toEqual([502, "STATUS_ERROR"]);
      else expect([fault, r.status]).toEqual(["latency; ms=1", 200]);
    }
    expect([...seen].sort()).toEqual(["latency", "rate_limited", "status_error"]);
    let accepted = 0;
    for (let i = 0; i < 20; i++) {
      const r = await api.post("/tryon", TRYON_BODY);
      expect(["rate_limited", "submission_error", "latency; ms=1"]).toContain(r.headers["x-mock-fault"]);
      if (r.status === 202) accepted++;
      else expect([429, 502]).toContain(r.status);
    }
    expect(server.getAccount(api.key).credits).toBe(1000 - 15 * (1 + accepted));
    await control(server, "PUT", "/chaos", { rate: 0 });
  });

  it("never touches /__mock, /docs, the catalogs, or keyless requests", async () => {
    await control(server, "PUT", "/chaos", { rate: 1, profile: "flaky-network", params: { latency: { ms: 1 } } });
    for (let i = 0; i < 20; i++) {
      for (const path of ["/__mock/health", "/__mock/jobs", "/__mock/faults", "/docs", "/api/v1/models", "/api/v1/vision", "/api/v1/jobs/x?model_id=moondream2"]) {
        const r = await probe(server.port, { method: "GET", path });
        expect(r.status, path).not.toBeNull();
        expect(r.headers["x-mock-fault"], path).toBeUndefined();
      }
    }
    await control(server, "PUT", "/chaos", { rate: 0 });
  });

  it("gives way to the X-Mock-Fault header and to an arming", async () => {
    const api = new TestClient(server, "ae_test_precedence1");
    const job = (await api.post("/tryon", TRYON_BODY)).body;
    await control(server, "PUT", "/chaos", { rate: 1, profile: "overloaded", params: { latency: { ms: 1 } } });
    expect((await api.poll(job.poll_url, { headers: { "X-Mock-Fault": "latency; ms=2" } })).headers["x-mock-fault"]).toBe("latency; ms=2");
    await control(server, "POST", "/scenarios", { fault: "latency", phase: "poll", key: api.key, params: { ms: 3 } });
    expect((await api.poll(job.poll_url)).headers["x-mock-fault"]).toBe("latency; ms=3");
    await control(server, "PUT", "/chaos", { rate: 0 });
    expect((await api.poll(job.poll_url)).headers["x-mock-fault"]).toBeUndefined();
  });
});

/** One recorded run: per key, its requests in order with the fault each met (from the journal), and the /__mock/faults report. */
interface Run {
  perKey: Record<string, string[]>;
  report: { total: number; counts: unknown[]; log: Record<string, unknown>[] };
  requests: number;
}

const KEYS = ["ae_test_chaosrun01", "ae_test_chaosrun02", "ae_test_chaosrun03", "ae_test_chaosrun04"];
const STEPS_PER_KEY = 500;

/**
 * 2,000 requests at --chaos 0.1: each key submits, then polls its last
 * accepted job four times, over and over. `order` picks which key goes next,
 * so runs can interleave the keys differently while each key's own sequence
 * stays the same.
 */
async function chaosRun(seed: number, order: (step: number) => number[]): Promise<Run> {
  const { server } = await startMock({ seed, timing: "fast", rateLimits: false, credits: 100_000, journalSize: 5000, chaos: 0.1, chaosProfile: "flaky-network" });
  // Keep-alive, as clients do: a fault that cuts a connection costs a new one, the rest reuse theirs.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const send = (method: string, path: string, key: string, body?: unknown) =>
    new Promise<{ status: number; text: string } | null>((resolve) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = { Authorization: `Bearer ${key}`, ...(payload ? { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(payload)) } : {}) };
      const req = http.request({ agent, host: "127.0.0.1", port: server.port, method, path, headers }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", () => resolve(null));
      });
      req.on("error", () => resolve(null));
      req.end(payload);
    });
  try {
    server.freeze();
    await control(server, "PUT", "/chaos", { params: { latency: { ms: 1 } } });
    const lastJob: Record<string, string> = {};
    for (let step = 0; step < STEPS_PER_KEY; step++) {
      for (const k of order(step)) {
        const key = KEYS[k]!;
        if (step % 5 === 0) {
          const r = await send("POST", "/api/v1/vision", key, { model_id: "moondream2", image_url: "https://example.com/p.jpg" });
          if (r?.status === 202) lastJob[key] = JSON.parse(r.text).job_id;
        } else {
          await send("GET", `/api/v1/jobs/${lastJob[key] ?? "none"}?model_id=moondream2`, key);
        }
      }
    }
    const perKey: Record<string, string[]> = {};
    for (const key of KEYS) {
      const entries = (await control(server, "GET", `/requests?key=${key}&limit=5000`)).body.requests.reverse();
      perKey[key] = entries.map((e: { operation: string; fault: string | null; status: number }) => `${e.operation} ${e.fault ?? "-"} ${e.status}`);
    }
    const report = (await control(server, "GET", "/faults?limit=5000")).body;
    return { perKey, report, requests: STEPS_PER_KEY * KEYS.length };
  } finally {
    agent.destroy();
    await server.close();
  }
}

describe("seeded chaos over 2,000 requests", () => {
  const roundRobin = () => [0, 1, 2, 3];
  // A different interleaving each step (reversed, rotated), the same sequence within each key.
  const shuffled = (step: number) => (step % 2 ? [3, 2, 1, 0] : [(step / 2) % 4, ((step / 2) + 1) % 4, ((step / 2) + 2) % 4, ((step / 2) + 3) % 4].map(Math.floor));
  let first: Run;

  it("injects faults into 7–13 % of requests at --chaos 0.1", async () => {
    first = await chaosRun(1234, roundRobin);
    const share = first.report.total / first.requests;
    expect(share).toBeGreaterThanOrEqual(0.07);
    expect(share).toBeLessThanOrEqual(0.13);
    expect(Object.values(first.perKey).flat()).toHaveLength(2000);
    expect(new Set(first.report.log.map((e) => e.fault))).toEqual(new Set(["reset", "empty_reply", "latency", "lost_response"]));
  }, 120_000);

  it("injects the same faults in the same places for the same seed and requests", async () => {
    const again = await chaosRun(1234, roundRobin);
    const strip = (log: Record<string, unknown>[]) => log.map(({ time: _t, time_ms: _m, ...rest }) => rest);
    expect(strip(again.report.log)).toEqual(strip(first.report.log));
    expect(again.report.counts).toEqual(first.report.counts);
    expect(again.perKey).toEqual(first.perKey);
  }, 120_000);

  it("keeps each key's faults where they were when keys interleave differently", async () => {
    const other = await chaosRun(1234, shuffled);
    expect(other.perKey).toEqual(first.perKey);
    expect(other.report.counts).toEqual(first.report.counts);
    const byKey = (log: Record<string, unknown>[]) => KEYS.map((k) => log.filter((e) => e.key_ref === keyRef(k)).map((e) => `${e.phase} ${e.fault} ${e.status}`));
    expect(byKey(first.report.log).flat().length).toBe(first.report.total);
    expect(byKey(other.report.log)).toEqual(byKey(first.report.log));
  }, 120_000);
});
