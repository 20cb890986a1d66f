import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { optionsFromArgv } from "../src/cli/args.js";
import { OPTION_DOCS } from "../src/options.js";
import type { MockServer } from "../src/server.js";
import { TestClient } from "./helpers/client.js";

// `npm test` builds dist first; run `npm run build` before running this file alone.
const MAIN = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

/** The parent's env without any of the mock's own variables, so a developer's PORT cannot leak in. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const d of OPTION_DOCS) if (d.env) delete env[d.env];
  return { ...env, ...extra };
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [MAIN, ...args], { env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  /** Resolves with the first stdout line matching, or rejects if the process exits first. */
  const line = (re: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        // Complete lines only: a chunk may end mid-line.
        const found = stdout.split("\n").slice(0, -1).find((l) => re.test(l));
        if (found) resolve(found);
      };
      child.stdout.on("data", check);
      check();
      void exited.then((code) => reject(new Error(`exited ${code} before printing ${re}: ${stderr}`)));
    });
  return { child, exited, line, out: () => stdout, err: () => stderr };
}

async function run(args: string[], env: Record<string, string> = {}) {
  const p = start(args, env);
  const code = await p.exited;
  return { code, stdout: p.out(), stderr: p.err() };
}

describe("artemotion-mock serve", () => {
  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error("dist/cli/main.js is missing: run `npm run build` (npm test does it first)");
  });

  it("prints package.json's version for --version and -v, and nothing else", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    for (const flag of ["--version", "-v"]) {
      const { code, stdout, stderr } = await run([flag]);
      expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    }
  });

  it("lists every option with its default and env variable in --help", async () => {
    const { code, stdout } = await run(["serve", "--help"]);
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    for (const d of OPTION_DOCS) {
      const i = lines.findIndex((l) => l.trim().split(/\s+/)[0] === d.flag);
      expect(i, `${d.flag} in --help`).toBeGreaterThan(-1);
      const detail = lines[i + 1]!;
      expect(detail, d.flag).toContain(`default: ${d.default}`);
      if (d.env) expect(detail, d.flag).toContain(`env ${d.env}`);
    }
    expect(stdout).toMatch(/--port <value>[\s\S]*default: 4010; env PORT/);
    expect(stdout).toMatch(/--host <value>[\s\S]*default: 127\.0\.0\.1; env HOST/);
  });

  it("prints one ready line with the base URL, serves both catalogs, and exits 0 on SIGTERM", async () => {
    const p = start(["serve", "--port", "0"]);
    const ready = await p.line(/http:\/\/127\.0\.0\.1:\d+\/api\/v1/);
    const baseUrl = /(http:\/\/127\.0\.0\.1:\d+\/api\/v1)/.exec(ready)![1]!;
    expect(Number(new URL(baseUrl).port)).toBeGreaterThan(0);

    const api = new TestClient({ baseUrl, origin: new URL(baseUrl).origin } as MockServer);
    const models = await api.get("/models", { key: null });
    expect(models.status).toBe(200);
    expect(models.body.models.map((m: { id: string }) => m.id)).toContain("image-apps-v2/virtual-try-on");
    const vision = await api.get("/vision", { key: null });
    expect(vision.status).toBe(200);
    expect(vision.body.models).toHaveLength(12);

    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    const announced = p.out().split("\n").filter((l) => /https?:\/\/\S+\/api\/v1/.test(l));
    expect(announced).toEqual([ready]);
    expect(p.out().split("\n")[0]).toBe(ready);
  });

  it("names chaos, its profile and its seed on the ready line, from MOCK_CHAOS and --chaos-profile, and injects it", async () => {
    const p = start(["serve", "--port", "0", "--chaos-profile", "overloaded"], { MOCK_CHAOS: "1" });
    const ready = await p.line(/artemotion-mock ready:/);
    expect(ready).toMatch(/, chaos 1 overloaded \(seed \d+\)/);
    const origin = /(http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(ready)![1]!;
    const json = { "Content-Type": "application/json" };
    await fetch(`${origin}/__mock/chaos`, { method: "PUT", headers: json, body: JSON.stringify({ params: { latency: { ms: 1 } } }) });
    const r = await fetch(`${origin}/api/v1/vision`, {
      method: "POST", headers: { Authorization: "Bearer ae_test_clichaos01", ...json }, body: JSON.stringify({ image_url: "https://example.com/p.jpg" }),
    });
    expect(["rate_limited", "submission_error", "latency; ms=1"]).toContain(r.headers.get("x-mock-fault"));
    const seeded = await fetch(`${origin}/__mock/chaos`).then((x) => x.json());
    expect(ready).toContain(`(seed ${seeded.seed})`);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });

  it("reads PORT when no --port is given", async () => {
    const { code, stderr } = await run(["serve"], { PORT: "70000" });
    expect(code).toBe(2);
    expect(stderr).toContain("--port: must be an integer from 0 to 65535");
  });

  it("lets a flag win over its env variable", () => {
    const { options } = optionsFromArgv(["--port", "0", "--rate-limits", "off"], { PORT: "70000", MOCK_RATE_LIMITS: "on", MOCK_TIMING: "fast" });
    expect(options).toMatchObject({ port: 0, rateLimits: false, timing: "fast" });
  });

  it("splits --allowed-hosts and --webhook-allow on commas, keeps any a word, and reads their env variables", () => {
    const env = { MOCK_WEBHOOK_ALLOW: "10.0.0.0/8, *.corp.example", MOCK_KEYS: "keys.yaml", MOCK_MAX_KEYS: "50" };
    expect(optionsFromArgv(["--allowed-hosts", "mock.internal, ,team.example"], env).options).toMatchObject({
      allowedHosts: ["mock.internal", "team.example"], webhookAllow: ["10.0.0.0/8", "*.corp.example"], keys: "keys.yaml", maxKeys: 50,
    });
    expect(optionsFromArgv(["--allowed-hosts", "ANY", "--webhook-allow", "any"], {}).options).toMatchObject({ allowedHosts: "any", webhookAllow: "any" });
  });

  it("exits 2 naming the file and the entry when a keys file is invalid", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ae-cli-keys-"));
    const file = join(dir, "keys.yaml");
    writeFileSync(file, "ae_test_alice0001: 10\nae_test_bad: 5\n");
    try {
      const { code, stderr } = await run(["serve", "--port", "0", "--keys", file]);
      expect(code).toBe(2);
      expect(stderr).toContain(`--keys ${file}: entry "ae_test_bad": "ae_test_bad" is not an API key`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Short-lived processes: run side by side to keep the file fast.
  it.concurrent.each([
    [["serve", "--timing", "slow"], "--timing"],
    [["serve", "--port", "http"], "--port"],
    [["serve", "--bogus"], "--bogus"],
    [["serve", "extra"], 'unexpected argument "extra"'],
    [["serve", "--keys", "/nonexistent/keys.json"], "--keys /nonexistent/keys.json: cannot read the keys file (no such file)"],
    [["serve", "--allowed-hosts", "mock.internal:4010"], '--allowed-hosts: "mock.internal:4010" is not a host name or IP address'],
    [["serve", "--webhook-allow", "10.0.0.0/99"], '--webhook-allow: "10.0.0.0/99" is not a CIDR'],
    [["serve", "--max-keys", "none"], "--max-keys"],
    [["serve", "--chaos", "1.5"], "--chaos: must be a number from 0 to 1"],
    [["serve", "--chaos-profile", "stormy"], "--chaos-profile: must be one of flaky-network, overloaded, degraded-upstream"],
  ])("exits 2 for %j with a message naming %s", async (args, flag) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toContain(flag);
    expect(stdout).toBe("");
  });

  it.concurrent("exits 2 for an unknown command", async () => {
    const { code, stderr } = await run(["serv"]);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "serv"');
  });
});
