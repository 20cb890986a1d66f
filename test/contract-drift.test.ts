import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMockServer } from "../src/server.js";
import { startDriftProxy, type Drift, type Exchange } from "./helpers/drift-proxy.js";

const CLI = new URL("../dist/cli/main.js", import.meta.url).pathname;
const isSubmit = (x: Exchange) => x.method === "POST" && x.status === 202;
const isPoll = (x: Exchange) => x.method === "GET" && x.url.startsWith("/api/v1/jobs/");

interface Run { exitCode: number; summary: { failed: number; tests: { name: string; state: string }[]; coverage: { item: string; state: string }[] } }

/** Runs the real contract CLI, as a user would, against `baseUrl`. */
async function runContract(baseUrl: string, args: string[]): Promise<Run> {
  const out = join(mkdtempSync(join(tmpdir(), "drift-")), "summary.json");
  const child = spawn(process.execPath, [CLI, "contract", "--base-url", `${baseUrl}/api/v1`, "--api-key", "ae_test_driftcheck01", "--report", `json:${out}`, ...args], { stdio: "ignore" });
  const exitCode = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? -1)));
  return { exitCode, summary: JSON.parse(readFileSync(out, "utf8")) };
}

async function runWithDrift(drift: Drift, grep: string): Promise<Run> {
  const mock = await createMockServer({ timing: "fast" });
  const proxy = await startDriftProxy(mock.origin, drift);
  try {
    return await runContract(proxy.url, ["--grep", grep]);
  } finally {
    await proxy.close();
    await mock.close();
  }
}

const seen = new Map<string, number>();
/** Each case: the drift, and the test (by name) that must catch it. */
const CASES: [Drift, string][] = [
  [{ name: "a required field missing", response: (x) => void (isSubmit(x) && delete x.body.job_id) }, "a caption job completes"],
  [{ name: "a field of the wrong type", response: (x) => void (x.url === "/api/v1/models" && (x.body.models[0].credits = "15")) }, "GET /models lists the try-on models"],
  [{ name: "an undocumented status code", response: (x) => void (x.url === "/api/v1/vision" && x.method === "GET" && (x.status = 203)) }, "GET /vision lists the vision models"],
  [{ name: "a wrong error code", response: (x) => void (x.status === 401 && (x.body.code = "INVALID_REQUEST")) }, "/tryon without a key answers 401"],
  [{ name: "queue_position absent while queued", response: (x) => void (isPoll(x) && x.body.status === "queued" && delete x.body.queue_position) }, "a job on a frozen clock is queued"],
  [{ name: "a state going backwards", response: (x) => {
    if (!isPoll(x) || x.body.status !== "completed") return;
    const n = (seen.get(x.body.job_id) ?? 0) + 1;
    seen.set(x.body.job_id, n);
    if (n > 1) x.body = { job_id: x.body.job_id, model_id: x.body.model_id, status: "processing" };
  } }, "a caption job completes"],
  [{ name: "credits miscounted", response: (() => { let n = 0; return (x: Exchange) => void (isSubmit(x) && (x.body.credits_left += n++)); })() }, "credits_left drops by exactly credits_used"],
  [{ name: "a 429 without Retry-After", response: (x) => void (x.status === 429 && delete x.headers["retry-after"]) }, "/tryon answers 429 with Retry-After"],
  [{ name: "a webhook with a bad signature", tamperWebhookSignature: true }, "a job.completed delivery is signed"],
  [{ name: "a poll_url that does not work as given", response: (x) => void (isSubmit(x) && (x.body.poll_url = x.body.poll_url.replace(/\?.*$/, ""))) }, "polled exactly as poll_url says"],
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("the contract suite catches drift", { timeout: 120_000 }, () => {
  it.concurrent.each(CASES)("catches $name", async (drift, testName) => {
    const run = await runWithDrift(drift, escape(testName));
    const target = run.summary.tests.find((t) => t.name.includes(testName));
    expect(target, `test "${testName}" ran`).toBeDefined();
    expect(target!.state).toBe("failed");
    expect(run.exitCode).toBe(1);
  });

  it("passes the same tests when nothing drifts", async () => {
    const run = await runWithDrift({ name: "none" }, CASES.map(([, t]) => escape(t)).join("|"));
    const picked = run.summary.tests.filter((t) => t.state !== "skipped");
    expect(picked.length).toBeGreaterThanOrEqual(CASES.length - 1);
    expect(picked.every((t) => t.state === "passed")).toBe(true);
  });

  it("fails the coverage gate when one test is removed", async () => {
    const mock = await createMockServer({ timing: "fast" });
    try {
      const run = await runContract(mock.origin, ["--grep", "^(?!.*POST /models answers 405).*$"]);
      expect(run.summary.failed).toBe(0);
      expect(run.summary.coverage.find((c) => c.item === "listModels 405")?.state).toBe("missing");
      expect(run.exitCode).toBe(1);
    } finally {
      await mock.close();
    }
  });
});
