import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/server.js";
import { control, startMock, TRYON_BODY, TestClient } from "./helpers/client.js";

const KEY = "ae_test_journalkey12345";
const MASKED = "ae_test_jour…2345";

describe("the request journal", () => {
  let server: MockServer;
  let api: TestClient;
  beforeAll(async () => ({ server, api } = await startMock({ seed: 11, rateLimits: false }, KEY)));
  afterAll(() => server.close());

  it("keeps exactly the newest 1,000 of 5,000 requests, newest first", async () => {
    // Sequential keep-alive requests to a cheap route: each path names its request.
    for (let i = 0; i < 5_000; i++) await api.get(`/no-such-route/${i}`, { key: i % 2 ? KEY : null });
    const { status, body } = await control(server, "GET", "/requests?limit=5000");
    expect(status).toBe(200);
    expect(body.requests).toHaveLength(1_000);
    expect(body.requests[0].path).toBe("/api/v1/no-such-route/4999");
    const indices = body.requests.map((r: { path: string }) => Number(r.path.split("/").pop()));
    expect(new Set(indices)).toEqual(new Set(Array.from({ length: 1_000 }, (_, i) => 4_000 + i)));
  });

  it("returns 100 entries by default, and clamps limit to what it holds", async () => {
    expect((await control(server, "GET", "/requests")).body.requests).toHaveLength(100);
    expect((await control(server, "GET", "/requests?limit=3")).body.requests).toHaveLength(3);
    expect((await control(server, "GET", "/requests?limit=999999")).body.requests).toHaveLength(1_000);
    expect(server.requests(0).requests).toEqual([]);
  });

  it("records time, method, path, status, masked key, operation, scenario, error code, duration and replica; never the control calls", async () => {
    server.freeze();
    await api.post("/tryon", TRYON_BODY, { headers: { "X-Mock-Scenario": "image_fetch_404" } });
    await api.get("/models", { key: null });
    await control(server, "GET", "/health");
    const [models, failed] = (await control(server, "GET", "/requests?limit=2")).body.requests;
    expect(failed).toEqual({
      id: expect.any(String), time: new Date(server.clock().now_ms).toISOString(), method: "POST", path: "/api/v1/tryon", query: "", status: 400,
      key: MASKED, key_ref: expect.stringMatching(/^k_[0-9a-f]{12}$/), operation: "submitTryon", job_id: null, scenario: "image_fetch_404",
      fault: null, response_lost: false, error_code: "IMAGE_ERROR", duration_ms: expect.any(Number), replica: expect.any(String),
    });
    expect(models).toMatchObject({ method: "GET", path: "/api/v1/models", status: 200, key: null, scenario: null });
    expect(JSON.stringify(server.requests(1000))).not.toContain(KEY);
    expect(server.requests(1000).requests.some((r) => r.path.startsWith("/__mock"))).toBe(false);
  });

  it("is emptied by a full reset", async () => {
    await control(server, "POST", "/reset");
    expect((await control(server, "GET", "/requests")).body).toEqual({ requests: [] });
  });
});

describe("journal size and request logs", () => {
  let server: MockServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("honours journalSize as the ring's capacity", async () => {
    server = await createMockServer({ journalSize: 3 });
    const api = new TestClient(server);
    for (const p of ["/models", "/vision", "/models", "/vision"]) await api.get(p, { key: null });
    expect(server.requests(10).requests.map((r) => r.path)).toEqual(["/api/v1/vision", "/api/v1/models", "/api/v1/vision"]);
  });

  it("logs one line per request with method, path, status, duration and scenario", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    server = await createMockServer({ logLevel: "info" }, { logger: pino({ level: "info" }, sink) });
    const api = new TestClient(server);
    await api.post("/tryon", TRYON_BODY, { headers: { "X-Mock-Scenario": "rate_limited" } });
    await api.get("/models", { key: null });
    await new Promise((r) => setImmediate(r)); // let the stream flush its last write
    const requests = lines.filter((l) => l.msg === "request");
    expect(requests).toEqual([
      expect.objectContaining({ method: "POST", path: "/api/v1/tryon", status: 429, scenario: "rate_limited", duration_ms: expect.any(Number) }),
      expect.objectContaining({ method: "GET", path: "/api/v1/models", status: 200, scenario: null }),
    ]);
    expect(JSON.stringify(lines)).not.toContain("ae_test_defaultkey01");
  });
});

describe("the journal and armed scenarios", () => {
  it("names an armed scenario in the entry of the submit it applied to", async () => {
    const { server, api } = await startMock({ timing: "fast" });
    try {
      server.armScenario("submission_error", api.key, 1);
      const res = await api.post("/vision", { image_url: "https://example.com/a.jpg" });
      expect(res.status).toBe(502);
      expect(server.requests(1).requests[0]).toMatchObject({ method: "POST", status: 502, scenario: "submission_error" });
    } finally {
      await server.close();
    }
  });
});
