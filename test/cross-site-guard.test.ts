import { afterAll, beforeEach, beforeAll, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/server.js";
import { raw } from "./helpers/raw-http.js";

const KEY = "ae_test_crosssite01";
const JSON_TYPE = { "Content-Type": "application/json" };

describe("cross-site browser requests to /__mock", () => {
  let server: MockServer;
  let own: Record<string, string>;
  beforeAll(async () => {
    server = await createMockServer();
    own = { Host: `127.0.0.1:${server.port}` };
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.reset();
    server.setAccount(KEY, 7);
  });

  // What a page on http://evil.example sends for `fetch("http://127.0.0.1:4010/__mock/reset", { method: "POST", mode: "no-cors" })`:
  // a simple request, so the browser sends it without a preflight.
  const evil = () => ({ ...own, Origin: "http://evil.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors" });

  it("refuses a cross-site POST /__mock/reset with no body, and the state is unchanged", async () => {
    const r = await raw(server.origin, "POST", "/__mock/reset", evil());
    expect(r.status).toBe(403);
    expect(r.body.code).toBe("FORBIDDEN");
    expect(r.body.error).toContain('Origin "http://evil.example"');
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
    expect(server.getAccount(KEY).credits).toBe(7);
  });

  it.each([
    ["an Origin alone (no Sec-Fetch-Site, as older browsers send)", { Origin: "http://evil.example" }],
    ["Sec-Fetch-Site: cross-site alone", { "Sec-Fetch-Site": "cross-site" }],
    ['Origin "null" (a sandboxed frame or a file:// page)', { Origin: "null" }],
    ["another port on the same loopback host (same-site, not same-origin)", { Origin: "http://127.0.0.1:3000", "Sec-Fetch-Site": "same-site" }],
    ["the attacker's name over https", { Origin: "https://evil.example" }],
  ])("refuses it when the browser sends %s", async (_name, headers) => {
    const r = await raw(server.origin, "POST", "/__mock/reset", { ...own, ...headers });
    expect([r.status, r.body.code]).toEqual([403, "FORBIDDEN"]);
    expect(server.getAccount(KEY).credits).toBe(7);
  });

  it.each([
    ["POST", "/__mock/clock/freeze"],
    ["POST", "/__mock/clock/resume"],
    ["DELETE", `/__mock/accounts/${KEY}`],
    ["DELETE", "/__mock/scenarios"],
    ["POST", "/__mock/webhooks/dlv_000001/redeliver"],
    ["PATCH", "/__mock/clock"],
  ])("refuses a cross-site %s %s before it runs", async (method, path) => {
    const frozen = server.clock().frozen;
    const r = await raw(server.origin, method, path, evil());
    expect([r.status, r.body.code]).toEqual([403, "FORBIDDEN"]);
    expect([server.clock().frozen, server.getAccount(KEY).credits]).toEqual([frozen, 7]);
  });

  // <form method=POST enctype=text/plain action=".../__mock/scenarios"> with a field named
  // `{"scenario":"job_failed","count":1000,"x":"` sends this body without a preflight.
  const FORM_BODY = '{"scenario":"job_failed","count":1000,"x":"=1"}';

  it("refuses a cross-site text/plain body to /__mock/scenarios, and nothing is armed", async () => {
    const r = await raw(server.origin, "POST", "/__mock/scenarios", { ...evil(), "Content-Type": "text/plain" }, FORM_BODY);
    expect([r.status, r.body.code]).toEqual([403, "FORBIDDEN"]);
    expect(server.listScenarios()).toEqual([]);
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])(
    "refuses a %s body to /__mock/scenarios from any client with 400 INVALID_REQUEST",
    async (type) => {
      const r = await raw(server.origin, "POST", "/__mock/scenarios", { ...own, "Content-Type": type }, FORM_BODY);
      expect([r.status, r.body.code, r.body.error]).toEqual([400, "INVALID_REQUEST", "Content-Type must be application/json."]);
      expect(server.listScenarios()).toEqual([]);
    },
  );

  it("refuses a body with no Content-Type at all", async () => {
    const r = await raw(server.origin, "POST", "/__mock/scenarios", own, FORM_BODY);
    expect([r.status, r.body.code]).toEqual([400, "INVALID_REQUEST"]);
  });

  it("lets cross-site reads through (a browser cannot read them without CORS, and none is sent)", async () => {
    const r = await raw(server.origin, "GET", "/__mock/health", evil());
    expect(r.status).toBe(200);
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
    const preflight = await raw(server.origin, "OPTIONS", "/__mock/reset", { ...evil(), "Access-Control-Request-Method": "POST" });
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    expect(preflight.headers["access-control-allow-methods"]).toBeUndefined();
  });
});

describe("the legitimate callers of /__mock", () => {
  let server: MockServer;
  beforeAll(async () => {
    server = await createMockServer();
  });
  afterAll(() => server.close());

  it("takes the README's curl calls: a body-less POST without Content-Type, JSON bodies with it", async () => {
    const host = { Host: `localhost:${server.port}`, "User-Agent": "curl/8.5.0", Accept: "*/*" };
    expect((await raw(server.origin, "POST", "/__mock/clock/freeze", host)).body).toMatchObject({ frozen: true });
    const armed = await raw(server.origin, "POST", "/__mock/scenarios", { ...host, ...JSON_TYPE }, '{"scenario":"status_error","count":1}');
    expect([armed.status, armed.body.scenario]).toEqual([201, "status_error"]);
    const advanced = await raw(server.origin, "POST", "/__mock/clock/advance", { ...host, ...JSON_TYPE }, '{"ms":40000}');
    expect(advanced.status).toBe(200);
    expect((await raw(server.origin, "GET", "/__mock/requests?limit=5", host)).status).toBe(200);
    expect((await raw(server.origin, "POST", "/__mock/reset", host)).body).toEqual({ reset: "all" });
  });

  it("takes the dashboard's own calls: same-origin fetches with Origin and Sec-Fetch-Site", async () => {
    for (const hostname of ["127.0.0.1", "localhost"]) {
      const page = `http://${hostname}:${server.port}`;
      const dashboard = { Host: `${hostname}:${server.port}`, Origin: page, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", Referer: `${page}/__mock/ui` };
      const armed = await raw(server.origin, "POST", "/__mock/scenarios", { ...dashboard, ...JSON_TYPE }, '{"scenario":"job_failed"}');
      expect([hostname, armed.status]).toEqual([hostname, 201]);
      expect((await raw(server.origin, "POST", "/__mock/clock/freeze", dashboard)).status).toBe(200);
      expect((await raw(server.origin, "PUT", `/__mock/accounts/${KEY}`, { ...dashboard, ...JSON_TYPE }, '{"credits":50}')).status).toBe(200);
      expect((await raw(server.origin, "DELETE", "/__mock/scenarios", dashboard)).status).toBe(200);
      expect((await raw(server.origin, "POST", "/__mock/reset", dashboard)).status).toBe(200);
    }
  });

  it("takes a request the user typed or bookmarked (Sec-Fetch-Site: none)", async () => {
    const r = await raw(server.origin, "POST", "/__mock/clock/resume", { Host: `127.0.0.1:${server.port}`, "Sec-Fetch-Site": "none" });
    expect(r.status).toBe(200);
  });
});
