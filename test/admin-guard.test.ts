import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { checkExposure } from "../src/cli/serve.js";
import { resolveOptions } from "../src/options.js";
import { createMockServer, type MockServer } from "../src/server.js";
import { TestClient } from "./helpers/client.js";

const MAIN = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const TOKEN = "s3cret-admin-token";
const running: ChildProcess[] = [];

/** The CLI's environment without any inherited mock settings. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MOCK_") && k !== "HOST" && k !== "PORT"));
  return { ...env, LOG_LEVEL: "silent", ...extra };
}

/** Runs `serve` until it either exits or prints its ready line (then it is stopped in afterEach). */
function serve(args: string[], env = cliEnv()): Promise<{ code: number | null; stderr: string; origin: string | null }> {
  const child = spawn(process.execPath, [MAIN, "serve", "--port", "0", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  running.push(child);
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (c) => (stderr += c));
  return new Promise((resolve) => {
    child.stdout!.on("data", (c) => {
      stdout += c;
      const m = /ready: (http:\/\/[^/\s]+)\/api\/v1/.exec(stdout);
      if (m) resolve({ code: null, stderr, origin: m[1]! });
    });
    child.on("exit", (code) => resolve({ code, stderr, origin: null }));
  });
}

const health = (origin: string, headers: Record<string, string> = {}) => fetch(`${origin}/__mock/health`, { headers });

describe("artemotion-mock serve", () => {
  type Run = Awaited<ReturnType<typeof serve>>;
  let refused: Run, token: Run, envToken: Run, noAdmin: Run;
  // Started together: each CLI takes about a second to boot.
  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does).`);
    [refused, token, envToken, noAdmin] = await Promise.all([
      serve(["--host", "0.0.0.0"]),
      serve(["--host", "0.0.0.0", "--admin-token", TOKEN]),
      serve(["--host", "0.0.0.0"], cliEnv({ MOCK_ADMIN_TOKEN: TOKEN })),
      serve(["--host", "0.0.0.0", "--no-admin"]),
    ]);
  });
  afterAll(async () => {
    const live = running.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(live.map((c) => new Promise((r) => (c.once("exit", r), c.kill("SIGTERM")))));
  });

  it("refuses a non-loopback host without a token, naming --admin-token", () => {
    expect(refused.origin).toBeNull();
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("--admin-token");
    expect(refused.stderr).toContain("--no-admin");
  });

  it("with --admin-token, requires X-Mock-Admin-Token on /__mock", async () => {
    const missing = await health(token.origin!);
    expect([missing.status, (await missing.json()).code]).toEqual([401, "UNAUTHORIZED"]);
    expect((await health(token.origin!, { "X-Mock-Admin-Token": `${TOKEN}x` })).status).toBe(401);
    const ok = await health(token.origin!, { "X-Mock-Admin-Token": TOKEN });
    expect([ok.status, (await ok.json()).status]).toEqual([200, "ok"]);
  });

  it("takes the token from MOCK_ADMIN_TOKEN too", async () => {
    expect((await health(envToken.origin!)).status).toBe(401);
    expect((await health(envToken.origin!, { "X-Mock-Admin-Token": TOKEN })).status).toBe(200);
  });

  it("with --no-admin, starts on a non-loopback host and has no /__mock at all", async () => {
    const r = await health(noAdmin.origin!);
    expect([r.status, (await r.json()).code]).toEqual([404, "NOT_FOUND"]);
  });
});

describe("the admin guard in process", () => {
  let server: MockServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("guards every control route but leaves the public API alone", async () => {
    server = await createMockServer({ host: "0.0.0.0", adminToken: TOKEN });
    for (const [method, path] of [["GET", "/clock"], ["POST", "/reset"], ["GET", "/requests"], ["DELETE", "/accounts/ae_test_guarded01"]] as const) {
      expect((await fetch(`${server.origin}/__mock${path}`, { method })).status, `${method} ${path}`).toBe(401);
    }
    expect((await fetch(`${server.origin}/__mock/clock`, { headers: { "X-Mock-Admin-Token": TOKEN } })).status).toBe(200);
    expect((await new TestClient(server).get("/models", { key: null })).status).toBe(200);
  });

  it("answers /__mock with 404 when the control API is off", async () => {
    server = await createMockServer({ admin: false });
    expect((await fetch(`${server.origin}/__mock/health`)).status).toBe(404);
  });

  it("lets loopback hosts and guarded or disabled control APIs start", () => {
    const refused = (o: Parameters<typeof resolveOptions>[0]) => checkExposure(resolveOptions(o)) !== null;
    expect(["127.0.0.1", "localhost", "::1"].map((host) => refused({ host }))).toEqual([false, false, false]);
    expect([refused({ host: "0.0.0.0" }), refused({ host: "192.168.1.5" }), refused({ host: "::" })]).toEqual([true, true, true]);
    expect([refused({ host: "0.0.0.0", adminToken: TOKEN }), refused({ host: "0.0.0.0", admin: false })]).toEqual([false, false]);
  });
});
