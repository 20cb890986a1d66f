import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/server.js";
import { startDriftProxy } from "./helpers/drift-proxy.js";

const CLI = new URL("../dist/cli/main.js", import.meta.url).pathname;

async function contract(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string; summary: any }> {
  const out = join(mkdtempSync(join(tmpdir(), "ctcli-")), "s.json");
  const child = spawn(process.execPath, [CLI, "contract", "--report", `json:${out}`, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? -1)));
  let summary = null;
  try {
    summary = JSON.parse(readFileSync(out, "utf8"));
  } catch { /* no summary on configuration errors */ }
  return { code, stdout, stderr, summary };
}

/**
 * A live-looking target (no /__mock) that wrongly accepts an unknown model: it
 * forwards to the mock with the bogus model_id dropped, so the mock really
 * charges for its default model. Counts the submits that reach it.
 */
async function acceptsUnknownModels(upstream: string): Promise<{ url: string; submits: string[]; close: () => Promise<void> }> {
  const submits: string[] = [];
  const server = http.createServer(async (req, res) => {
    if (req.url!.startsWith("/__mock")) return void res.writeHead(404, { "Content-Type": "application/json" }).end('{"error":"Not found.","code":"NOT_FOUND"}');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: string | undefined = Buffer.concat(chunks).toString("utf8");
    if (req.method === "POST") {
      submits.push(req.url!);
      if (body.includes("contract-no-such-model")) body = JSON.stringify({ ...JSON.parse(body), model_id: undefined });
    } else body = undefined;
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !["host", "content-length", "connection"].includes(k))) as Record<string, string>;
    const up = await fetch(upstream + req.url, { method: req.method, headers, body });
    res.writeHead(up.status, { "Content-Type": up.headers.get("content-type") ?? "application/json" }).end(await up.text());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, submits, close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

/** A credit balance as the target itself reports it: credits_left of one more 2-credit submit, plus 2. */
async function balanceOf(base: string, key: string): Promise<number> {
  const res = await fetch(`${base}/api/v1/vision`, { method: "POST", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" }, body: JSON.stringify({ image_url: "https://example.com/a.jpg" }) });
  return ((await res.json()) as { credits_left: number }).credits_left + 2;
}

describe("artemotion-mock contract against a target that is not a mock", { timeout: 90_000 }, () => {
  let mock: MockServer;
  let proxy: Awaited<ReturnType<typeof startDriftProxy>>;
  beforeAll(async () => {
    // Instant jobs: the first poll is terminal, so the suite never has to wait in real time.
    mock = await createMockServer({ timing: "instant" });
    proxy = await startDriftProxy(mock.origin, { name: "looks live", hideControl: true });
  });
  afterAll(async () => {
    await proxy.close();
    await mock.close();
  });

  it("with no budget passes, spends 0 credits and lists every billable test as skipped for budget", async () => {
    const key = "ae_test_nobudget0001";
    const run = await contract(["--base-url", `${proxy.url}/api/v1`, "--api-key", key]);
    expect(run.code).toBe(0);
    expect(run.summary.creditsSpent).toBe(0);
    const billable = run.summary.tests.filter((t: { name: string }) => t.name.includes("[billable"));
    expect(billable.length).toBeGreaterThan(0);
    expect(billable.every((t: { state: string; reason: string }) => t.state === "skipped" && t.reason.startsWith("budget:"))).toBe(true);
    expect(await balanceOf(proxy.url, key)).toBe(1000);
  });

  it("with a budget of 5 runs the cheapest tests it can pay for and spends 4, as the balance confirms", async () => {
    const key = "ae_test_budgetfive01";
    const run = await contract(["--base-url", `${proxy.url}/api/v1`, "--api-key", key, "--budget", "5", "--grep", "billable"]);
    expect(run.code).toBe(1); // the coverage gate: the free tests were filtered out
    expect(run.summary.failed).toBe(0);
    expect(run.summary.creditsSpent).toBe(4);
    expect(run.summary.tests.filter((t: { state: string }) => t.state === "passed")).toHaveLength(2);
    expect(await balanceOf(proxy.url, key)).toBe(996);
  });

  it("exits 3 at a free test's first charge, naming the test and the charge, and sends no submit after it", async () => {
    const lax = await acceptsUnknownModels(mock.origin);
    const key = "ae_test_freecharge01";
    try {
      const run = await contract(["--base-url", `${lax.url}/api/v1`, "--api-key", key, "--budget", "100", "--grep", "with an unknown model"]);
      expect(run.code).toBe(3);
      // Three free tests each submit an unknown model; the first is charged (a default try-on, 15 credits), the others never send.
      expect(lax.submits).toEqual(["/api/v1/tryon"]);
      expect(run.summary.creditsSpent).toBe(15);
      expect(await balanceOf(proxy.url, key)).toBe(985);
      expect(run.summary.spendingStopped).toBe('"[free] /tryon with an unknown model answers 400 INVALID_MODEL" is free but was charged 15 credits by a 202 on POST /tryon (15 in this test)');
      expect(run.stdout).toContain(`Budget: spending stopped (exit 3): ${run.summary.spendingStopped}.`);
      const later = run.summary.tests.filter((t: { name: string }) => /\/(vision|generate) with an unknown model/.test(t.name));
      expect(later.map((t: { state: string; reason: string }) => [t.state, t.reason.startsWith("budget: stopped spending")])).toEqual([["skipped", true], ["skipped", true]]);
    } finally {
      await lax.close();
    }
  });

  it("exits 3 and stops spending when a charge exceeds what its test declared", async () => {
    const greedy = await startDriftProxy(mock.origin, {
      name: "price rise", hideControl: true,
      response: (x) => void (x.method === "POST" && x.status === 202 && (x.body.credits_used += 3)),
    });
    try {
      const run = await contract(["--base-url", `${greedy.url}/api/v1`, "--api-key", "ae_test_overspend01", "--budget", "100", "--grep", "billable"]);
      expect(run.code).toBe(3);
      const reasons = run.summary.tests.map((t: { reason: string | null }) => t.reason ?? "");
      expect(reasons.some((r: string) => r.includes("stopped spending"))).toBe(true);
    } finally {
      await greedy.close();
    }
  });
});

describe("artemotion-mock contract reports", () => {
  it("writes JUnit XML with one testcase per test that ran", async () => {
    const xml = join(mkdtempSync(join(tmpdir(), "ctjunit-")), "out.xml");
    const run = await contract(["--report", `junit:${xml}`, "--grep", "lists the"]);
    const text = readFileSync(xml, "utf8");
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8" ?>')).toBe(true);
    expect(text).toMatch(/<testsuites [^>]*tests="\d+"/);
    const cases = text.match(/<testcase /g) ?? [];
    expect(cases.length).toBe(run.summary.tests.length);
    expect((text.match(/<testsuite /g) ?? []).length).toBe((text.match(/<\/testsuite>/g) ?? []).length);
    expect(text).toContain("GET /models lists the try-on models");
  }, 60_000);
});

describe("artemotion-mock contract report paths", () => {
  it("writes relative report paths under the working directory, creating missing folders", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "ctcwd-"));
    const run = await contract(["--report", "junit:reports/nightly/out.xml", "--report", "json:reports/nightly/summary.json", "--grep", "lists the"], cwd);
    // (--grep leaves the coverage gate unmet, so the run itself exits 1; the reports are what is checked.)
    expect(readFileSync(join(cwd, "reports/nightly/out.xml"), "utf8")).toMatch(/<testsuites /);
    expect(JSON.parse(readFileSync(join(cwd, "reports/nightly/summary.json"), "utf8"))).toMatchObject({ exitCode: run.code });
    expect(existsSync(new URL("../contracts/reports", import.meta.url))).toBe(false);
    rmSync(cwd, { recursive: true, force: true });
  }, 60_000);
});

describe("artemotion-mock contract report paths that cannot be written", () => {
  it("exits 2 naming the path, before running any test, when a report path runs through a regular file", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "ctfile-")), "plain.txt");
    writeFileSync(file, "");
    const run = await contract(["--report", `json:${file}/reports/summary.json`, "--grep", "lists the"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`cannot write the report ${file}/reports/summary.json: a part of the path is a file, not a folder`);
    expect(run.stdout).not.toContain("Contract run against");
  });
});

describe("artemotion-mock contract configuration errors exit 2", () => {
  it.each([
    [["--budget", "lots"], "--budget"],
    [["--base-url", "http://127.0.0.1:9/api/v1", "--api-key", "ae_test_unreachable1"], "unreachable"],
    [["--base-url", "http://127.0.0.1:9/api/v1"], "API key"],
    [["--report", "xml:out.xml"], "--report"],
  ])("%j exits 2 naming the problem", async (args, words) => {
    const run = await contract(args as string[]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(words);
  });
});
