import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runDrift } from "../src/drift/run.js";
import { createMockServer } from "../src/server.js";
import { startDriftProxy, type Drift, type Exchange } from "./helpers/drift-proxy.js";

const CLI = new URL("../dist/cli/main.js", import.meta.url).pathname;
const isPoll = (x: Exchange) => x.method === "GET" && x.url.startsWith("/api/v1/jobs/");

/** Records a contract run through a proxy that carries `drift` (the suite may fail: the recording is what matters). */
async function recordThrough(drift: Drift, grep: string | null): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), "selftest-")), "rec");
  const mock = await createMockServer({ timing: "fast" });
  const proxy = await startDriftProxy(mock.origin, drift);
  try {
    const args = [CLI, "contract", "--base-url", `${proxy.url}/api/v1`, "--api-key", "ae_test_selftest_0001", "--record", dir, ...(grep ? ["--grep", grep] : [])];
    const child = spawn(process.execPath, args, { stdio: "ignore" });
    const code = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? -1)));
    expect(code, "the recording was written and passed its secret scan").not.toBe(2);
    return dir;
  } finally {
    await proxy.close();
    await mock.close();
  }
}

interface Case {
  drift: Drift;
  grep: string;
  expected: { grade: string; where: string; path: string };
}

/** Each drift aimed at one place, and the one difference drift must report for it. */
const CASES: Case[] = [
  { grep: "caption job completes", expected: { grade: "additive", where: "submitVision 202", path: "$.request_cost_usd" },
    drift: { name: "a field only live sends", response: (x) => void (x.method === "POST" && x.url === "/api/v1/vision" && x.status === 202 && (x.body.request_cost_usd = 0.02)) } },
  { grep: "GET /vision lists", expected: { grade: "breaking", where: "listVisionModels 200", path: "$.models[*].accepts" },
    drift: { name: "a field live no longer sends", response: (x) => void (x.method === "GET" && x.url === "/api/v1/vision" && x.body.models.forEach((m: Record<string, unknown>) => delete m.accepts)) } },
  { grep: "/generate without a key", expected: { grade: "breaking", where: "submitGenerate 401", path: "$.code" },
    drift: { name: "an error code outside the enum", response: (x) => void (x.url === "/api/v1/generate" && x.status === 401 && (x.body.code = "UNAUTHORISED")) } },
  { grep: "/vision answers 429", expected: { grade: "breaking", where: "submitVision 429", path: "headers.retry-after" },
    drift: { name: "a 429 without Retry-After", response: (x) => void (x.url === "/api/v1/vision" && x.status === 429 && delete x.headers["retry-after"]) } },
  { grep: "DELETE /vision answers 405", expected: { grade: "behavioural", where: "listVisionModels 405", path: "headers.allow" },
    drift: { name: "an Allow header with other methods", response: (x) => void (x.method === "DELETE" && x.status === 405 && (x.headers.allow = "GET")) } },
  { grep: "caption job completes", expected: { grade: "behavioural", where: "job moondream3-preview/caption", path: "$.status" },
    drift: { name: "jobs that fail where the mock completes them", response: (x) => {
      if (!isPoll(x) || x.body.model_id !== "moondream3-preview/caption" || x.body.status !== "completed") return;
      x.body = { job_id: x.body.job_id, model_id: x.body.model_id, status: "failed", logs: ["no output"], error: "no output" };
    } } },
  { grep: "try-on job completes", expected: { grade: "behavioural", where: "job image-apps-v2/virtual-try-on", path: "time_to_terminal" },
    drift: { name: "try-on jobs slower than documented", response: (x) => void (isPoll(x) && x.body.status === "completed" && x.body.images && (x.body.elapsed_ms = 45_000)) } },
  { grep: "job.completed delivery is signed", expected: { grade: "breaking", where: "webhook job.completed", path: "headers.x-artemotion-signature" },
    drift: { name: "another signature scheme", webhook: (w) => void (w.headers["x-artemotion-signature"] = w.headers["x-artemotion-signature"]!.replace(/^v1=/, "sha256=")) } },
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("drift names exactly the drift a recording carries", { timeout: 120_000 }, () => {
  it.concurrent.each(CASES)("$drift.name: $expected.grade at $expected.where $expected.path, and nothing else", async ({ drift, grep, expected }) => {
    const dir = await recordThrough(drift, escape(grep));
    const { report } = await runDrift(dir);
    expect(report.differences.map((d) => ({ grade: d.grade, where: d.where, path: d.path }))).toEqual([expected]);
    const [d] = report.differences;
    expect(d!.recorded, "both values are reported").not.toEqual(d!.mock);
    expect(d!.proposal.length).toBeGreaterThan(20);
    expect(report.exitCode).toBe(expected.grade === "breaking" ? 1 : 0);
  });

  it.concurrent("a clean recording of the same tests through the same proxy shows no differences", async () => {
    const dir = await recordThrough({ name: "none" }, [...new Set(CASES.map((c) => escape(c.grep)))].join("|"));
    const { report } = await runDrift(dir);
    expect(report.differences).toEqual([]);
    expect(report.compared.exchanges).toBeGreaterThan(40);
    expect(report.compared.jobs).toBeGreaterThanOrEqual(5);
    expect(report.compared.webhooks).toBeGreaterThan(0);
    expect(report.exitCode).toBe(0);
  });
});
