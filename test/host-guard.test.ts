import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalHost, hostAllowed, hostPolicy, HostListError } from "../src/domain/host-policy.js";
import { createMockServer, type MockServer } from "../src/server.js";
import { raw } from "./helpers/raw-http.js";

const KEY = "ae_test_hostguard01";
const loopbackBind = { publicUrl: null, bindHost: "127.0.0.1" };

describe("the Host policy", () => {
  const policy = hostPolicy([], loopbackBind);

  it.each(["127.0.0.1:4010", "127.0.0.1", "127.9.8.7:1", "localhost:4010", "LOCALHOST", "localhost.", "app.localhost:5173", "[::1]:4010", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "2130706433:4010", "127.1"])(
    "lets the loopback Host %s in",
    (host) => expect(hostAllowed(policy, host)).toBe(true),
  );

  // A DNS-rebinding page reaches 127.0.0.1 under its own name, which is what its Host header says.
  it.each(["attacker.example:4010", "127.0.0.1.nip.io:4010", "localhost.attacker.example", "evil@127.0.0.1", "127.0.0.1/x", "127.0.0.1 evil", "[::2]:4010", "10.0.0.5:4010", "", "0.0.0.0:4010"])(
    "keeps the Host %s out",
    (host) => expect(hostAllowed(policy, host)).toBe(false),
  );

  it("keeps a request without a Host header out", () => expect(hostAllowed(policy, undefined)).toBe(false));

  it("adds --allowed-hosts entries, *.suffix subdomains, the --public-url host and a named bind address", () => {
    const p = hostPolicy(["mock.internal", "*.corp.example", "10.1.2.3", "fd00::7"], { publicUrl: "https://Mock.Example.Test", bindHost: "192.168.1.5" });
    for (const host of ["mock.internal:4010", "MOCK.INTERNAL", "a.corp.example", "a.b.corp.example:80", "10.1.2.3:4010", "[fd00::7]:4010", "mock.example.test", "192.168.1.5:4010"]) {
      expect(hostAllowed(p, host), host).toBe(true);
    }
    for (const host of ["corp.example", "xcorp.example", "mock.internal.evil.example", "10.1.2.4"]) expect(hostAllowed(p, host), host).toBe(false);
  });

  it("does not let a wildcard bind (0.0.0.0, ::) admit any name", () => {
    expect(hostPolicy([], { publicUrl: null, bindHost: "0.0.0.0" }).exact.size).toBe(0);
    expect(hostPolicy([], { publicUrl: null, bindHost: "::" }).exact.size).toBe(0);
  });

  it("turns the check off with any, and refuses entries that are not hosts", () => {
    expect(hostAllowed(hostPolicy("any", loopbackBind), "attacker.example")).toBe(true);
    for (const bad of [["mock.internal:4010"], ["http://mock.internal"], ["mock.internal/x"], ["*."], ["any", "mock.internal"]]) {
      expect(() => hostPolicy(bad, loopbackBind), bad.join(",")).toThrow(HostListError);
    }
  });

  it("compares canonical names: case, trailing dot, IPv4 and IPv6 spellings", () => {
    expect([canonicalHost("Mock.Internal.:80"), canonicalHost("2130706433"), canonicalHost("[0::1]"), canonicalHost("a b")]).toEqual(["mock.internal", "127.0.0.1", "[::1]", null]);
  });
});

describe("a mock on 127.0.0.1 reached through a foreign Host (DNS rebinding)", () => {
  let server: MockServer;
  beforeAll(async () => {
    server = await createMockServer();
  });
  afterAll(() => server.close());

  // The attack: a page on http://attacker.example:PORT re-points its name to 127.0.0.1, then
  // reads the mock same-origin. Every request below connects to 127.0.0.1; only the Host differs.
  const attacker = () => `attacker.example:${server.port}`;

  it("answers /__mock/health with 403 FORBIDDEN naming --allowed-hosts", async () => {
    const r = await raw(server.origin, "GET", "/__mock/health", { Host: attacker() });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe("FORBIDDEN");
    expect(r.body.error).toContain(`Host "${attacker()}"`);
    expect(r.body.error).toContain("--allowed-hosts attacker.example");
    expect(r.body.error).toContain("--allowed-hosts any");
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it.each([
    ["GET", "/__mock/ui"],
    ["GET", "/__mock/ui/app.js"],
    ["GET", "/docs"],
    ["GET", "/docs/openapi.yaml"],
    ["GET", "/__mock/requests?limit=5"],
    ["GET", "/__mock/webhooks"],
    ["GET", "/__mock/jobs"],
    ["GET", "/__MOCK/health"],
    ["GET", "//__mock/health"],
    ["GET", "/__mock"],
    ["HEAD", "/__mock/health"],
    ["POST", "/__mock/reset"],
  ])("refuses %s %s the same way, whether or not the route exists", async (method, path) => {
    const r = await raw(server.origin, method, path, { Host: attacker() });
    expect(r.status).toBe(403);
    if (method !== "HEAD") expect(r.body.code).toBe("FORBIDDEN");
  });

  it("still answers the dashboard's, curl's and tests' loopback names", async () => {
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`, `dev.localhost:${server.port}`]) {
      const r = await raw(server.origin, "GET", "/__mock/health", { Host: host });
      expect([host, r.status, r.body.status]).toEqual([host, 200, "ok"]);
    }
  });

  it("keeps the public API and /cdn open to any Host, with poll_url following the Host as before", async () => {
    const models = await raw(server.origin, "GET", "/api/v1/models", { Host: attacker() });
    expect(models.status).toBe(200);
    server.freeze();
    const body = JSON.stringify({ model_id: "moondream2", image_url: "https://example.com/p.jpg" });
    const submit = await raw(server.origin, "POST", "/api/v1/vision", { Host: "api.client.example:8443", Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" }, body);
    expect(submit.status).toBe(202);
    expect(submit.body.poll_url).toMatch(/^http:\/\/api\.client\.example:8443\/api\/v1\/jobs\//);
    const cdn = await raw(server.origin, "GET", "/cdn/results/nope/0.png", { Host: attacker() });
    expect(cdn.status).not.toBe(403);
  });
});

describe("a mock started with --allowed-hosts and --public-url", () => {
  let listed: MockServer, any: MockServer;
  beforeAll(async () => {
    [listed, any] = await Promise.all([
      createMockServer({ allowedHosts: ["mock.internal", "*.corp.example"], publicUrl: "https://mock.example.test" }),
      createMockServer({ allowedHosts: "any" }),
    ]);
  });
  afterAll(() => Promise.all([listed.close(), any.close()]));

  it("answers the listed hosts, their subdomains when given as *.suffix, and the --public-url host", async () => {
    for (const host of ["mock.internal:4010", "team.corp.example", "mock.example.test"]) {
      expect((await raw(listed.origin, "GET", "/__mock/health", { Host: host })).status, host).toBe(200);
    }
    for (const host of ["corp.example", "attacker.example"]) {
      expect((await raw(listed.origin, "GET", "/__mock/health", { Host: host })).status, host).toBe(403);
    }
  });

  it("answers any Host with --allowed-hosts any", async () => {
    expect((await raw(any.origin, "GET", "/__mock/health", { Host: "attacker.example" })).status).toBe(200);
  });
});
