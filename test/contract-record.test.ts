import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runDriftCli } from "../src/cli/drift.js";
import type { RecordedTest, RecordingIndex } from "../src/contract/recording.js";
import { createMockServer } from "../src/server.js";
import { startDriftProxy } from "./helpers/drift-proxy.js";

const CLI = new URL("../dist/cli/main.js", import.meta.url).pathname;

async function contract(args: string[]): Promise<{ code: number; stderr: string; summary: any }> {
  const out = join(mkdtempSync(join(tmpdir(), "ctrec-")), "summary.json");
  const child = spawn(process.execPath, [CLI, "contract", "--report", `json:${out}`, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? -1)));
  return { code, stderr, summary: JSON.parse(readFileSync(out, "utf8")) };
}

const readAll = (dir: string) => [readFileSync(join(dir, "index.json"), "utf8"), ...readdirSync(join(dir, "tests")).map((f) => readFileSync(join(dir, "tests", f), "utf8"))].join("\n");
const testsOf = (dir: string) => readdirSync(join(dir, "tests")).map((f) => JSON.parse(readFileSync(join(dir, "tests", f), "utf8")) as RecordedTest);

describe("artemotion-mock contract --record", { timeout: 90_000 }, () => {
  it.concurrent("records every exchange of the whole suite with nothing secret left, and drift replays it with no differences", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "ctrec-")), "rec");
    const run = await contract(["--record", dir, "--redact", "Insufficient credits"]);
    expect(run.code).toBe(0);
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as RecordingIndex;
    const tests = testsOf(dir);
    expect(index.totals.tests).toBe(run.summary.tests.length);
    expect(tests).toHaveLength(index.tests.length);
    expect(index.totals.exchanges).toBeGreaterThan(run.summary.requests);
    const api = tests.flatMap((t) => t.exchanges).filter((x) => x.kind === "api");
    expect(api).toHaveLength(run.summary.requests);
    for (const x of api) {
      expect(x.request.method && x.request.path && x.request.query && x.request.headers && x.time).toBeTruthy();
      expect([x.response.status, typeof x.durationMs, typeof x.response.headers]).toEqual([x.response.status, "number", "object"]);
    }
    expect(tests.flatMap((t) => t.webhooks).every((w) => w.rawBody.startsWith('{"request_id"') && w.verification !== null)).toBe(true);
    const text = readAll(dir);
    for (const secret of [/ae_(live|test)_/, /whsec_/, /Insufficient credits/, /Bearer ae_/]) expect(text).not.toMatch(secret);
    for (const placeholder of ["Bearer <redacted:key-", "v1=<redacted:hex64>", '"webhook_secret": "<redacted:secret-']) expect(text).toContain(placeholder);

    const logged: string[] = [];
    const reports = mkdtempSync(join(tmpdir(), "ctrec-drift-"));
    const code = await runDriftCli([dir, "--report", `json:${reports}/d.json`, "--report", `junit:${reports}/d.xml`], { log: (s) => logged.push(s), err: (s) => logged.push(s) });
    expect(logged.join("\n")).toContain("No differences.");
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(`${reports}/d.json`, "utf8")).differences).toEqual([]);
    const xml = readFileSync(`${reports}/d.xml`, "utf8");
    expect((xml.match(/<testcase /g) ?? []).length).toBe(index.tests.length);
    expect(xml).toContain('failures="0"');
  });

  it.concurrent("spends no credit and makes no request beyond the run's on a live-like target, and exits 2 when DIR still holds a secret", async () => {
    const key = "ae_test_recordlive01";
    const mock = await createMockServer({ timing: "instant" });
    const proxy = await startDriftProxy(mock.origin, { name: "looks live", hideControl: true });
    try {
      const dir = join(mkdtempSync(join(tmpdir(), "ctrec-")), "rec");
      mkdirSync(dir);
      writeFileSync(join(dir, "notes.txt"), `remember ${key}\n`);
      const run = await contract(["--base-url", `${proxy.url}/api/v1`, "--api-key", key, "--budget", "4", "--grep", "billable", "--record", dir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("notes.txt: configured secret #1 appears");
      expect(run.stderr).not.toContain(key);
      expect(run.summary.creditsSpent).toBe(4);
      const exchanges = testsOf(dir).flatMap((t) => t.exchanges);
      expect(exchanges.filter((x) => x.kind === "api")).toHaveLength(run.summary.requests);
      expect(exchanges.filter((x) => x.kind !== "api")).toHaveLength(0);
      expect(readAll(dir)).not.toContain(key);
      const probe = await fetch(`${proxy.url}/api/v1/vision`, { method: "POST", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" }, body: JSON.stringify({ image_url: "https://example.com/a.jpg" }) });
      expect(((await probe.json()) as { credits_left: number }).credits_left + 2).toBe(1000 - 4);
    } finally {
      await proxy.close();
      await mock.close();
    }
  });
});
