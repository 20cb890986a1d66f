import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fullFormats } from "ajv-formats/dist/formats.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runDoctorCli } from "../src/cli/doctor.js";
import { sarif, type DoctorRun } from "../src/doctor/formats.js";
import { RULES } from "../src/doctor/rules.js";
import { OPTION_DOCS, type MockOptions } from "../src/options.js";
import type { MockServer } from "../src/server.js";
import { startMock, TRYON_BODY, type TestClient } from "./helpers/client.js";

const require = createRequire(import.meta.url);
// The SARIF 2.1.0 schema (rtm.5, draft-04) as Microsoft's @microsoft/jest-sarif ships it; ajv-draft-04 reads draft-04.
// Its `language` pattern is not valid as a unicode regex, hence unicodeRegExp: false.
const Ajv04 = require("ajv-draft-04") as (typeof import("ajv-draft-04"))["default"];
const SARIF_SCHEMA = JSON.parse(readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"));
const validateSarif = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false, formats: fullFormats }).compile(SARIF_SCHEMA);
const MAIN = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

const KEY = "ae_test_clidoctor001";

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
let server: MockServer;
let api: TestClient;
let wall = 0;
let dir: string;

beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "ae-doctor-cli-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => server?.close());

async function start(options: Partial<MockOptions> = {}) {
  wall = Date.now();
  ({ server, api } = await startMock({ wallNow: () => wall, timing: "instant", ...options }, KEY));
}

async function cli(...args: string[]) {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await runDoctorCli(args, {}, { log: (s) => lines.push(s), err: (s) => errors.push(s) });
  return { code, out: lines.join("\n"), err: errors.join("\n") };
}

/** A client that does everything right for one job: polls 3 s later, downloads the result. */
async function goodJob(key = KEY) {
  const submit = await api.post("/tryon", TRYON_BODY, { key });
  wall += 3000;
  const done = await api.poll(submit.body.poll_url, { key });
  await fetch(done.body.images[0]);
}

/** Warnings only: a finished job polled once more. */
async function warnOnly() {
  const submit = await api.post("/tryon", TRYON_BODY);
  wall += 3000;
  const done = await api.poll(submit.body.poll_url);
  await fetch(done.body.images[0]);
  wall += 3000;
  await api.poll(submit.body.poll_url);
}

/** An error: the same try-on accepted twice. */
async function doubleSubmit() {
  for (let i = 0; i < 2; i++) {
    const submit = await api.post("/tryon", TRYON_BODY);
    wall += 3000;
    const done = await api.poll(submit.body.poll_url);
    await fetch(done.body.images[0]);
  }
}

describe("artemotion-mock doctor", () => {
  it("passes (exit 0) against a mock whose client did everything right", async () => {
    await start();
    await goodJob();
    const r = await cli("--base-url", server.baseUrl);
    expect(r.code).toBe(0);
    expect(r.out).toContain("No findings.");
    expect(r.out).toMatch(/Result: PASS \(0 error\(s\), 0 warning\(s\); fail on error; exit 0\)/);
  });

  it("passes on warnings by default and fails on them with --fail-on warn", async () => {
    await start();
    await warnOnly();
    const lenient = await cli("--base-url", server.origin);
    expect(lenient.code).toBe(0);
    expect(lenient.out).toMatch(/^warn\s+polls-after-terminal\s+ae_test_clid…r001\s/m);
    const strict = await cli("--base-url", server.origin, "--fail-on", "warn");
    expect(strict.code).toBe(1);
    expect(strict.out).toContain("Result: FAIL (0 error(s), 1 warning(s); fail on warn; exit 1)");
  });

  it("fails (exit 1) on an error, with the table, the advice and the docs' sentence", async () => {
    await start();
    await doubleSubmit();
    const r = await cli("--base-url", server.origin);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^severity\s+rule\s+key\s+job\s+count\s+what the client did$/m);
    expect(r.out).toMatch(/^error\s+double-submit\s+ae_test_clid…r001\s+[0-9a-f]{8}…\s+1\s+The same \/api\/v1\/tryon body was accepted again 3\.0 s/m);
    expect(r.out).toContain("Do not resubmit after a client-side timeout");
    expect(r.out).toContain('docs: "Every API call consumes credits from your ArtEmotion account."');
    expect(r.out).not.toContain(KEY);
  });

  it("fails (exit 1) on an error the mock's full book of findings could only count, and says so", async () => {
    await start();
    const doctor = server.mock.runtime.doctor!;
    // Another key fills the book with errors (receivers that accepted forged deliveries), as the mock's own events would.
    for (let i = 0; i < doctor.limits.maxFindings; i++) {
      doctor.observe({
        kind: "delivery", action: "outcome", id: `fill-${i}`, replica: "test",
        data: {
          id: `d-${i}`, jobId: "00000000-0000-4000-8000-000000000000", key: "ae_test_otherclient9", url: `http://127.0.0.1:9/hook/${i}`, event: "job.completed",
          redeliveryOf: "d-0", tamper: "signature", requestHeaders: {}, requestBody: "{}", startedAt: 0, outcome: "delivered", responseStatus: 204,
          error: null, durationMs: 1, replica: "test",
        },
      });
    }
    await doubleSubmit();
    const r = await cli("--base-url", server.origin, "--key", KEY);
    expect(r.out).toContain("No findings.");
    expect(r.out).toContain("The mock's book of findings is full: 1 error(s) and 0 warning(s) more were only counted, not shown; they count towards --fail-on error.");
    expect(r.out).toContain("Result: FAIL (0 error(s), 0 warning(s) + 1 error(s), 0 warning(s) not shown; fail on error; exit 1)");
    expect(r.code).toBe(1);
  });

  it("narrows to one key with --key", async () => {
    await start();
    await doubleSubmit();
    await goodJob("ae_test_otherclient9");
    expect((await cli("--base-url", server.origin, "--key", "ae_test_otherclient9")).code).toBe(0);
    expect((await cli("--base-url", server.origin, "--key", KEY)).code).toBe(1);
  });

  it("writes json, junit and sarif reports, and the SARIF validates against the SARIF 2.1.0 schema", async () => {
    await start();
    await doubleSubmit();
    await warnOnly();
    const [json, xml, log] = ["r.json", "r.xml", "r.sarif"].map((f) => join(dir, f)) as [string, string, string];
    const r = await cli("--base-url", server.origin, "--report", `json:${json}`, "--report", `junit:${xml}`, "--report", `sarif:${log}`);
    expect(r.code).toBe(1);

    const report = JSON.parse(readFileSync(json, "utf8"));
    expect(report).toMatchObject({ target: server.origin, fail_on: "error", exit_code: 1, key: null });
    expect(report.findings.map((f: { rule: string }) => f.rule).sort()).toEqual(["double-submit", "polls-after-terminal"]);
    expect(report.findings[0].key).toBe("ae_test_clid…r001");

    const junit = readFileSync(xml, "utf8");
    expect(junit.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="artemotion-mock doctor" tests="13" failures="1"')).toBe(true);
    expect(junit.match(/<testcase /g)).toHaveLength(RULES.length);
    expect(junit.match(/<failure /g)).toHaveLength(1);
    expect(junit).toMatch(/<testcase classname="artemotion-mock.doctor" name="double-submit: [^"]+">\n\s+<failure type="error" message="1 finding\(s\): The same/);
    expect(junit).toMatch(/name="polls-after-terminal: [^"]+">\n\s+<system-out>\[warn\]/); // below --fail-on: reported, not failed

    const doc = JSON.parse(readFileSync(log, "utf8"));
    expect(validateSarif(doc), JSON.stringify(validateSarif.errors?.slice(0, 5))).toBe(true);
    const run = doc.runs[0];
    expect(run.tool.driver.rules.map((x: { id: string }) => x.id)).toEqual(RULES.map((x) => x.id));
    expect(run.results.map((x: { ruleId: string; level: string }) => [x.ruleId, x.level]).sort()).toEqual([["double-submit", "error"], ["polls-after-terminal", "warning"]]);
    expect(run.invocations[0]).toMatchObject({ executionSuccessful: true, exitCode: 1 });
  });

  it("has a SARIF check that rejects a broken log", () => {
    const run: DoctorRun = { target: "http://x", key: null, fail_on: "error", exit_code: 0, verdict: "", findings: [], seen: {}, generated_at: new Date().toISOString() };
    const log = sarif(run) as unknown as { version: string; runs: { results: unknown[] }[] };
    expect(validateSarif(log)).toBe(true);
    expect(validateSarif({ ...log, version: "2.0.0" })).toBe(false);
    expect(validateSarif({ ...log, runs: [{ ...log.runs[0], results: [{ ruleId: "x", level: "warn", message: { text: "m" } }] }] })).toBe(false);
  });

  it("runs the webhook probe first with --probe", async () => {
    await start();
    await goodJob();
    const r = await cli("--base-url", server.origin, "--probe");
    expect(r.code).toBe(0);
    expect(r.out).not.toContain("probe:"); // no receiver seen: nothing to probe
  });

  describe("exits 2 for a configuration or target error", () => {
    it.each([
      [["--bogus"], "--bogus"],
      [["--fail-on", "info"], '--fail-on takes error or warn, got "info"'],
      [["--report", "html:x.html"], '--report takes json:PATH, junit:PATH or sarif:PATH, got "html:x.html"'],
      [["--base-url", "ftp://x"], "--base-url is not an http(s) URL"],
      [["--base-url", "http://127.0.0.1:PORT"], "cannot read the doctor at http://127.0.0.1:PORT: fetch failed (ECONNREFUSED)"],
    ])("%j", async (args, message) => {
      const port = String(await closedPort());
      const r = await cli(...args.map((a) => a.replace("PORT", port)));
      message = message.replace("PORT", port);
      expect(r.code).toBe(2);
      expect(r.err).toContain(message);
    });

    it("for a server that is not a mock", async () => {
      const other = createServer((_req, res) => res.writeHead(404).end("nope"));
      await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
      try {
        const r = await cli("--base-url", `http://127.0.0.1:${(other.address() as AddressInfo).port}`);
        expect(r.code).toBe(2);
        expect(r.err).toContain("GET /__mock/doctor answered 404 (is it an artemotion-mock with its control API on?)");
      } finally {
        other.close();
      }
    });

    it("for a mock with the doctor off", async () => {
      await start({ doctor: false });
      const r = await cli("--base-url", server.origin);
      expect(r.code).toBe(2);
      expect(r.err).toContain("The doctor is off on this mock (--doctor off).");
    });

    it("without the admin token a mock requires, and passes with it", async () => {
      await start({ adminToken: "s3cret-token" });
      const r = await cli("--base-url", server.origin);
      expect(r.code).toBe(2);
      expect(r.err).toContain("answered 401: Missing or wrong X-Mock-Admin-Token header");
      expect((await cli("--base-url", server.origin, "--admin-token", "s3cret-token")).code).toBe(0);
    });
  });
});

describe("the CLI process", () => {
  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error("dist/cli/main.js is missing: run `npm run build` (npm test does it first)");
  });

  function spawnCli(args: string[]) {
    // The parent's env without the mock's own variables, so a developer's settings cannot leak in.
    const env = { ...process.env };
    for (const d of OPTION_DOCS) if (d.env) delete env[d.env];
    delete env.AE_BASE_URL;
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const line = (re: RegExp) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const found = stdout.split("\n").find((l) => re.test(l));
          if (found) resolve(found);
        };
        child.stdout.on("data", check);
        void exited.then(() => reject(new Error(`exited before ${re}: ${stderr}`)));
      });
    return { child, exited, line, out: () => stdout, err: () => stderr };
  }

  it("`artemotion-mock doctor` exits 1 with the findings of a running mock", async () => {
    await start();
    await doubleSubmit();
    const p = spawnCli(["doctor", "--base-url", server.baseUrl]);
    expect(await p.exited).toBe(1);
    expect(p.out()).toContain("double-submit");
  });

  it("`serve` prints the doctor's summary, keys masked, when it shuts down with findings", async () => {
    const p = spawnCli(["serve", "--port", "0", "--timing", "instant", "--log-level", "silent"]);
    const ready = await p.line(/ready: http:\/\/127\.0\.0\.1:\d+\/api\/v1/);
    const base = /(http:\/\/127\.0\.0\.1:\d+\/api\/v1)/.exec(ready)![1]!;
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/tryon`, { method: "POST", headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" }, body: JSON.stringify(TRYON_BODY) });
      expect(res.status).toBe(202);
    }
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    const out = p.out();
    expect(out).toMatch(/artemotion-mock: SIGTERM, shutting down\nartemotion-mock doctor: 3 findings \(1 error, 2 warnings\): double-submit, abandoned-job\./);
    expect(out).toMatch(/^error\s+double-submit\s+ae_test_clid…r001\s/m);
    expect(out).not.toContain(KEY);
  });

  it("`serve` prints no summary when there is no finding", async () => {
    const p = spawnCli(["serve", "--port", "0", "--log-level", "silent"]);
    await p.line(/ready: /);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(p.out()).not.toContain("doctor");
  });
});
