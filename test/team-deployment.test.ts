import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPTION_DOCS } from "../src/options.js";
import { createMockServer, type MockServer } from "../src/server.js";
import { raw } from "./helpers/raw-http.js";

const TOKEN = "team-admin-token-1";
const KEY = "ae_test_teammate01";
const HOST = "mock.internal:4010";
const VISION = { model_id: "moondream2", image_url: "https://example.com/p.jpg" };

/**
 * A mock shared on a network: 0.0.0.0, --admin-token, --allowed-hosts mock.internal,
 * --webhook-allow 10.0.0.0/8. The tests reach it only on 127.0.0.1 and say
 * "mock.internal" in the Host header; the clock is frozen before any submit,
 * so no webhook to 10.x is ever sent.
 */
function teamScenario(name: string, start: () => Promise<{ origin: string; stop: () => Promise<unknown> }>) {
  describe(name, () => {
    let origin: string;
    let stop: () => Promise<unknown>;
    const admin = { Host: HOST, "X-Mock-Admin-Token": TOKEN };
    const json = { "Content-Type": "application/json" };
    const call = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
      raw(origin, method, path, { ...headers, ...(body === undefined ? {} : json) }, body === undefined ? undefined : JSON.stringify(body));

    beforeAll(async () => {
      ({ origin, stop } = await start());
      expect((await call("POST", "/__mock/clock/freeze", admin)).body.frozen).toBe(true);
    });
    afterAll(() => stop());

    it("answers the control API under its team name with the token, and only then", async () => {
      expect((await call("GET", "/__mock/health", admin)).status).toBe(200);
      const noToken = await call("GET", "/__mock/health", { Host: HOST });
      expect([noToken.status, noToken.body.code]).toEqual([401, "UNAUTHORIZED"]);
      // A token is no pass for a foreign name: a rebinding page could have learnt it from a shared link.
      const foreign = await call("GET", "/__mock/health", { ...admin, Host: "attacker.example:4010" });
      expect([foreign.status, foreign.body.code]).toEqual([403, "FORBIDDEN"]);
    });

    it("takes webhooks to 10.0.0.0/8 and refuses other private addresses, all at submit", async () => {
      const api = { Host: HOST, Authorization: `Bearer ${KEY}` };
      const ok = await call("POST", "/api/v1/vision", api, { ...VISION, webhook_url: "https://10.20.30.40/hooks/artemotion" });
      expect(ok.status).toBe(202);
      expect(ok.body.poll_url).toMatch(/^http:\/\/mock\.internal:4010\/api\/v1\/jobs\//);
      const refused = await call("POST", "/api/v1/vision", api, { ...VISION, webhook_url: "https://192.168.1.10/hook" });
      expect([refused.status, refused.body.code]).toEqual([400, "INVALID_REQUEST"]);
      expect(refused.body.error).toContain("not in --webhook-allow (10.0.0.0/8)");
      const jobs = await call("GET", `/__mock/jobs?key=${KEY}`, admin);
      expect(jobs.body.jobs.map((j: { webhook_url: string }) => j.webhook_url)).toEqual(["https://10.20.30.40/hooks/artemotion"]);
      expect((await call("GET", "/__mock/webhooks", admin)).body.deliveries).toEqual([]); // frozen: nothing was sent
    });

    it("takes the dashboard's same-origin calls and refuses a cross-site one", async () => {
      const page = { ...admin, Origin: "http://mock.internal:4010", "Sec-Fetch-Site": "same-origin" };
      expect((await call("POST", "/__mock/scenarios", page, { scenario: "job_failed", count: 1 })).status).toBe(201);
      const cross = await call("POST", "/__mock/scenarios", { ...admin, Origin: "http://evil.example", "Sec-Fetch-Site": "cross-site" }, { scenario: "stuck" });
      expect([cross.status, cross.body.code]).toEqual([403, "FORBIDDEN"]);
      expect((await call("GET", "/__mock/scenarios", admin)).body.armed.map((a: { scenario: string }) => a.scenario)).toEqual(["job_failed"]);
    });
  });
}

const FLAGS = { host: "0.0.0.0", adminToken: TOKEN, allowedHosts: ["mock.internal"], webhookAllow: ["10.0.0.0/8"] } as const;

teamScenario("a team deployment, in process", async () => {
  const server: MockServer = await createMockServer(FLAGS);
  return { origin: server.origin, stop: () => server.close() };
});

const MAIN = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
let child: ChildProcess | undefined;
afterAll(() => void child?.kill("SIGKILL"));

teamScenario("the same deployment started from the CLI's flags", async () => {
  if (!existsSync(MAIN)) throw new Error("dist/cli/main.js is missing: run `npm run build` (npm test does it first)");
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "silent" };
  for (const d of OPTION_DOCS) if (d.env && d.env !== "LOG_LEVEL") delete env[d.env];
  const args = ["serve", "--port", "0", "--host", "0.0.0.0", "--admin-token", TOKEN, "--allowed-hosts", "mock.internal", "--webhook-allow", "10.0.0.0/8"];
  const c = (child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] }));
  let out = "";
  let err = "";
  c.stderr!.on("data", (s) => (err += s));
  const origin = await new Promise<string>((resolve, reject) => {
    c.stdout!.on("data", (s) => {
      out += s;
      const m = /ready: (http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(out);
      if (m) resolve(m[1]!);
    });
    c.on("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  // The ready line says which guards run, so whoever starts a shared mock can see them.
  expect(out).toContain("control API http://127.0.0.1:");
  expect(out).toContain("(token), hosts loopback,mock.internal, webhooks 10.0.0.0/8, keys auto)");
  return { origin, stop: () => new Promise((r) => (c.once("exit", r), c.kill("SIGTERM"))) };
});
