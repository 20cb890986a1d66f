import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyRef } from "../src/domain/keys.js";
import type { MockServer } from "../src/server.js";
import { control, startMock, TestClient } from "./helpers/client.js";
import { isJson, probe, type Probe, type ProbeRequest } from "./helpers/socket-probe.js";

let server: MockServer;
let seq = 0;
const freshKey = () => `ae_test_transport${String(++seq).padStart(4, "0")}`;
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const TRYON = { person_image_url: "https://example.com/p.jpg", garment_image_url: "https://example.com/g.jpg", garment_type: "top" };

beforeAll(async () => {
  // Instant jobs: a try-on is completed at submit, so its poll and its result download answer at once.
  ({ server } = await startMock({ seed: 21, timing: "instant" }));
  server.freeze();
});
afterAll(() => server.close());

/** A fresh key with one completed try-on: the three phases a transport fault can hit. */
async function phases(key: string): Promise<Record<"submit" | "poll" | "result", ProbeRequest>> {
  const api = new TestClient(server, key);
  const job = (await api.post("/tryon", TRYON)).body;
  const done = (await api.poll(job.poll_url)).body;
  return {
    submit: { method: "POST", path: "/api/v1/tryon", headers: auth(key), body: TRYON },
    poll: { method: "GET", path: new URL(job.poll_url).pathname + new URL(job.poll_url).search, headers: auth(key) },
    result: { method: "GET", path: new URL(done.images[0]).pathname },
  };
}

const withFault = (r: ProbeRequest, fault: string): ProbeRequest => ({ ...r, headers: { ...r.headers, "X-Mock-Fault": fault } });
const balance = async (key: string) => (await control(server, "GET", `/accounts/${key}`)).body.credits as number;
const lastRequest = async () => (await control(server, "GET", "/requests?limit=1")).body.requests[0];

describe.each(["submit", "poll", "result"] as const)("at the %s phase, seen through node:net", (phase) => {
  it("reset: the connection is reset before any byte, and nothing is processed", async () => {
    const key = freshKey();
    const p = await phases(key);
    const before = await balance(key);
    const r = await probe(server.port, withFault(p[phase], "reset"));
    expect([r.bytes.length, r.error]).toEqual([0, "ECONNRESET"]);
    expect(await balance(key)).toBe(before);
    expect(server.jobs(key)).toHaveLength(1);
    expect(await lastRequest()).toMatchObject({ status: 0, fault: "reset", response_lost: false });
  });

  it("empty_reply: the socket is closed cleanly with no bytes", async () => {
    const key = freshKey();
    const p = await phases(key);
    const r = await probe(server.port, withFault(p[phase], "empty_reply"));
    expect([r.bytes.length, r.error, r.ended]).toEqual([0, null, true]);
    expect(server.jobs(key)).toHaveLength(1);
    expect(await lastRequest()).toMatchObject({ status: 0, fault: "empty_reply" });
  });

  it("malformed_json: status 200, a truncated body, and a Content-Length that matches what is sent", async () => {
    const key = freshKey();
    const p = await phases(key);
    const whole = phase === "submit" ? null : await probe(server.port, p[phase]);
    const r = await probe(server.port, withFault(p[phase], "malformed_json"));
    expect(r.status).toBe(200);
    expect(Number(r.headers["content-length"])).toBe(r.body.length);
    expect(r.body.length).toBeGreaterThan(0);
    expect(r.headers["x-mock-fault"]).toBe("malformed_json");
    if (whole) {
      // The same answer, cut short: a strict prefix of the full body.
      expect(r.body.length).toBeLessThan(whole.body.length);
      expect(whole.body.subarray(0, r.body.length).equals(r.body)).toBe(true);
    }
    if (phase !== "result") expect(isJson(r.body)).toBe(false);
  });

  it("slow_body: headers at once, then the body dribbled over the duration (timing measured)", async () => {
    const key = freshKey();
    const p = await phases(key);
    const r = await probe(server.port, withFault(p[phase], "slow_body; ms=600; chunks=6"));
    expect(r.status).toBe(phase === "submit" ? 202 : 200);
    expect(Number(r.headers["content-length"])).toBe(r.body.length);
    expect(r.headers["x-mock-fault"]).toBe("slow_body; ms=600; chunks=6");
    // The header block comes first, long before the body is done; the last byte no earlier than the duration allows.
    expect(r.headersAt!).toBeLessThan(r.lastByteAt! - 300);
    expect(r.lastByteAt!).toBeGreaterThanOrEqual(590);
    const bodyChunks = r.chunks.filter((c) => c.at > r.headersAt!);
    expect(bodyChunks.length).toBeGreaterThanOrEqual(3);
    if (phase !== "result") expect(isJson(r.body)).toBe(true);
  });

  it("latency: the headers wait for the delay", async () => {
    const key = freshKey();
    const p = await phases(key);
    const r = await probe(server.port, withFault(p[phase], "latency; ms=300"));
    expect(r.headersAt!).toBeGreaterThanOrEqual(295);
    expect(r.headers["x-mock-fault"]).toBe("latency; ms=300");
    expect(Number(r.headers["content-length"])).toBe(r.body.length);
  });
});

describe("lost_response", () => {
  it("creates and charges the job and journals it, while the client sees only a reset", async () => {
    const key = freshKey();
    const r = await probe(server.port, withFault({ method: "POST", path: "/api/v1/tryon", headers: auth(key), body: TRYON }, "lost_response"));
    expect([r.bytes.length, r.error]).toEqual([0, "ECONNRESET"]);
    expect(await balance(key)).toBe(1000 - 15);
    const jobs = (await control(server, "GET", `/jobs?key=${key}`)).body.jobs;
    expect(jobs).toHaveLength(1);
    const entry = await lastRequest();
    expect(entry).toMatchObject({ status: 202, fault: "lost_response", response_lost: true, job_id: jobs[0].job_id, operation: "submitTryon" });
    // The job is real: its owner can poll it by id.
    const api = new TestClient(server, key);
    expect((await api.get(`/jobs/${jobs[0].job_id}?model_id=image-apps-v2/virtual-try-on`)).body.status).toBe("completed");
  });

  it("on a poll, answers nothing although the poll was served", async () => {
    const key = freshKey();
    const p = await phases(key);
    const r = await probe(server.port, withFault(p.poll, "lost_response"));
    expect([r.bytes.length, r.error]).toEqual([0, "ECONNRESET"]);
    expect(await lastRequest()).toMatchObject({ status: 200, fault: "lost_response", response_lost: true });
  });
});

describe("naming a fault", () => {
  it("by a magic image host <fault>.fault.test on a submit, either spelling", async () => {
    for (const host of ["lost-response.fault.test", "lost_response.fault.test"]) {
      const key = freshKey();
      const r = await probe(server.port, { method: "POST", path: "/api/v1/tryon", headers: auth(key), body: { ...TRYON, garment_image_url: `https://${host}/g.jpg` } });
      expect([r.bytes.length, r.error]).toEqual([0, "ECONNRESET"]);
      expect(server.jobs(key)).toHaveLength(1);
    }
  });

  it("by arming: the next N requests of the key at that phase, then normal answers", async () => {
    const key = freshKey();
    const p = await phases(key);
    const armed = await control(server, "POST", "/scenarios", { fault: "empty_reply", phase: "poll", key, count: 2 });
    expect([armed.status, armed.body]).toMatchObject([201, { scenario: "empty_reply", phase: "poll", remaining: 2 }]);
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await probe(server.port, p.poll)).status);
    expect(results).toEqual([null, null, 200]);
    await control(server, "POST", "/scenarios", { fault: "malformed_json", phase: "result", key });
    expect((await probe(server.port, p.result)).headers["x-mock-fault"]).toBe("malformed_json");
    expect((await probe(server.port, p.result)).headers["x-mock-fault"]).toBeUndefined();
  });

  it("a submit arming waits for a submit that passed validation", async () => {
    const key = freshKey();
    await control(server, "POST", "/scenarios", { fault: "reset", key });
    const api = new TestClient(server, key);
    expect((await api.post("/tryon", { ...TRYON, garment_type: "cape" })).status).toBe(400);
    expect((await probe(server.port, { method: "POST", path: "/api/v1/tryon", headers: auth(key), body: TRYON })).error).toBe("ECONNRESET");
    expect((await api.post("/tryon", TRYON)).status).toBe(202);
  });

  it("refuses unknown faults, parameters and values, and a fault outside its phases, with 400 INVALID_REQUEST", async () => {
    const key = freshKey();
    const p = await phases(key);
    const cases: [ProbeRequest, RegExp][] = [
      [withFault(p.poll, "meltdown"), /Unknown fault "meltdown".*Known: reset, empty_reply/],
      [withFault(p.poll, "latency; wait=3"), /Unknown parameter "wait" for fault latency.*Known: ms, median_ms, sigma/],
      [withFault(p.poll, "reset; constructor=1"), /Unknown parameter "constructor" for fault reset/],
      [withFault(p.poll, "constructor"), /Unknown fault "constructor"/],
      [withFault(p.poll, "latency; ms=-1"), /Invalid ms=-1 for fault latency/],
      [withFault(p.poll, "latency; ms"), /Malformed X-Mock-Fault parameter "ms"/],
      [withFault(p.poll, "webhook_delay"), /Fault webhook_delay does not apply to a poll request/],
      [withFault(p.submit, "webhook_duplicate"), /needs a webhook_url/],
      [{ ...p.submit, body: { ...TRYON, person_image_url: "https://melt-down.fault.test/p.jpg" } }, /Unknown fault "melt_down" in person_image_url/],
    ];
    for (const [req, message] of cases) {
      const r = await probe(server.port, req);
      expect(r.status, message.source).toBe(400);
      const body = JSON.parse(r.body.toString());
      expect(body.code).toBe("INVALID_REQUEST");
      expect(body.error).toMatch(message);
    }
    expect(server.jobs(key)).toHaveLength(1);
    for (const bad of [{ fault: "reset", phase: "webhook" }, { fault: "latency", params: { wait: 1 } }, { scenario: "job_failed", params: { ms: 1 } }, { fault: "nope" }, { scenario: "reset", fault: "reset" }]) {
      expect((await control(server, "POST", "/scenarios", bad)).status, JSON.stringify(bad)).toBe(400);
    }
  });
});

describe("poll_not_found (beyond the docs)", () => {
  it("on a submit hides the job from its first N polls, each marked as the fault, then answers", async () => {
    const key = freshKey();
    const api = new TestClient(server, key);
    const job = (await api.post("/tryon", TRYON, { headers: { "X-Mock-Fault": "poll_not_found; polls=3" } })).body;
    const seen = [];
    for (let i = 0; i < 4; i++) {
      const r = await api.poll(job.poll_url);
      seen.push([r.status, r.headers["x-mock-fault"] ?? null]);
    }
    expect(seen).toEqual([[404, "poll_not_found"], [404, "poll_not_found"], [404, "poll_not_found"], [200, null]]);
    const log = (await control(server, "GET", `/requests?key=${key}&fault=poll_not_found`)).body.requests;
    expect(log).toHaveLength(3);
  });

  it("on a poll answers that poll 404", async () => {
    const key = freshKey();
    const api = new TestClient(server, key);
    const job = (await api.post("/tryon", TRYON)).body;
    const hidden = await api.poll(job.poll_url, { headers: { "X-Mock-Fault": "poll-not-found" } });
    expect([hidden.status, hidden.body.code]).toEqual([404, "NOT_FOUND"]);
    expect((await api.poll(job.poll_url)).status).toBe(200);
  });
});

describe("visibility", () => {
  it("GET /__mock/faults counts by kind, phase and key, with keys masked, and logs each fault", async () => {
    const key = freshKey();
    const p = await phases(key);
    await probe(server.port, withFault(p.poll, "reset"));
    await probe(server.port, withFault(p.poll, "latency; ms=1"));
    await probe(server.port, withFault(p.result, "reset"));
    const r = await control(server, "GET", "/faults");
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.body)).not.toContain(key);
    const mine = r.body.counts.filter((c: { key_ref?: string }) => c.key_ref === keyRef(key));
    expect(mine.map((c: Record<string, unknown>) => [c.fault, c.phase, c.count]).sort()).toEqual([["latency", "poll", 1], ["reset", "poll", 1], ["reset", "result", 1]]);
    expect(r.body.by_kind.reset).toBeGreaterThanOrEqual(2);
    expect(r.body.by_phase.result).toBeGreaterThanOrEqual(1);
    expect(r.body.log.slice(-3).map((e: Record<string, unknown>) => [e.fault, e.phase, e.status])).toEqual([["reset", "poll", 0], ["latency", "poll", 200], ["reset", "result", 0]]);
  });

  it("sends no X-Mock-Fault header, and journals no fault, when none was asked for", async () => {
    const key = freshKey();
    const p = await phases(key);
    for (const phase of ["submit", "poll", "result"] as const) {
      const r = await probe(server.port, p[phase]);
      expect(r.headers["x-mock-fault"], phase).toBeUndefined();
      expect((await lastRequest()).fault).toBeNull();
    }
  });
});

describe("embedded with createApp()", () => {
  it("breaks the same way when the public API is mounted in an Express app", async () => {
    const { createApp } = await import("../src/http/app.js");
    const http = await import("node:http");
    const { app, plane } = createApp({ seed: 4, timing: "instant" });
    const outer = http.createServer(app);
    await new Promise<void>((r) => outer.listen(0, "127.0.0.1", r));
    try {
      const port = (outer.address() as { port: number }).port;
      const key = freshKey();
      const submit = { method: "POST", path: "/api/v1/tryon", headers: auth(key), body: TRYON };
      const lost = await probe(port, withFault(submit, "lost_response"));
      expect([lost.bytes.length, lost.error]).toEqual([0, "ECONNRESET"]);
      const garbled = await probe(port, withFault(submit, "malformed_json; bytes=10"));
      expect([garbled.status, garbled.body.length, garbled.headers["content-length"]]).toEqual([200, 10, "10"]);
      expect(await plane.jobs(key)).toHaveLength(2);
    } finally {
      await new Promise((r) => outer.close(r));
    }
  });
});

describe("scenarios armed for the poll phase", () => {
  it("answer the key's next polls (status_error, rate_limited) and are journaled as scenarios, not faults", async () => {
    const key = freshKey();
    const api = new TestClient(server, key);
    const job = (await api.post("/tryon", TRYON)).body;
    await control(server, "POST", "/scenarios", { scenario: "status_error", phase: "poll", key });
    await control(server, "POST", "/scenarios", { scenario: "rate-limited", phase: "poll", key });
    const first = await api.poll(job.poll_url);
    const second = await api.poll(job.poll_url);
    expect([first.status, first.body.code, first.headers["x-mock-fault"]]).toEqual([502, "STATUS_ERROR", undefined]);
    expect([second.status, second.headers["retry-after"]]).toEqual([429, "60"]);
    expect((await api.poll(job.poll_url)).status).toBe(200);
    const journal = (await control(server, "GET", `/requests?key=${key}&limit=3`)).body.requests;
    expect(journal.map((e: { scenario: string | null; fault: string | null }) => [e.scenario, e.fault])).toEqual([[null, null], ["rate_limited", null], ["status_error", null]]);
    expect((await control(server, "POST", "/scenarios", { scenario: "job_failed", phase: "poll" })).status).toBe(400);
  });
});
