import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMockServer } from "../src/server.js";
import { combine, startDriftProxy, type Drift, type Exchange } from "./helpers/drift-proxy.js";

const CLI = new URL("../dist/cli/main.js", import.meta.url).pathname;
const isSubmit = (x: Exchange) => x.method === "POST" && x.status === 202;
const isPoll = (x: Exchange) => x.method === "GET" && x.url.startsWith("/api/v1/jobs/");

interface Run { exitCode: number; summary: { failed: number; tests: { name: string; state: string; error: string | null }[]; coverage: { item: string; state: string }[] } }

/** Runs the real contract CLI, as a user would, against `baseUrl`. */
async function runContract(baseUrl: string, args: string[]): Promise<Run> {
  const out = join(mkdtempSync(join(tmpdir(), "drift-")), "summary.json");
  const child = spawn(process.execPath, [CLI, "contract", "--base-url", `${baseUrl}/api/v1`, "--api-key", "ae_test_driftcheck01", "--report", `json:${out}`, ...args], { stdio: "ignore" });
  const exitCode = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? -1)));
  return { exitCode, summary: JSON.parse(readFileSync(out, "utf8")) };
}

async function runWithDrift(drift: Drift, grep: string, extra: string[] = []): Promise<Run> {
  const mock = await createMockServer({ timing: "fast" });
  const proxy = await startDriftProxy(mock.origin, drift);
  try {
    return await runContract(proxy.url, ["--grep", grep, ...extra]);
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

/**
 * Round 2: wrong APIs that passed the suite before it kept exact money and
 * watched every poll. Each drift is aimed at one test; all run in one contract
 * run, and each must fail its own test for its own reason.
 */
const submitOf = (x: Exchange, model: string) => isSubmit(x) && x.body.model_id === model;
const owners = new Map<string, string>();
let submitter = "";
const risen = new Map<string, number>();
const ADVERSARIAL: { drift: Drift; test: string; because: RegExp }[] = [
  { test: "a detection job completes", because: /credits_left is \d+, but the ledger expects/,
    drift: { name: "every credits_left off by the same 5 credits", response: (x) => void (submitOf(x, "florence-2-large/object-detection") && (x.body.credits_left -= 5)) } },
  { test: "an NSFW check completes", because: /credits_used is 3, but the catalog price .* is 2/,
    drift: { name: "a charge above the catalog price, reported consistently", response: (x) => void (submitOf(x, "imageutils/nsfw") && ((x.body.credits_used += 1), (x.body.credits_left -= 1))) } },
  { test: "/vision answers 402", because: /Required: 3, but the catalog price is 2/,
    drift: { name: "a 402 whose Required disagrees with the catalog", response: (x) => void (x.status === 402 && x.url === "/api/v1/vision" && (x.body.error = x.body.error.replace(/Required: \d+/, "Required: 3"))) } },
  { test: "/generate answers 402", because: /available: 0, but the ledger expects 1/,
    drift: { name: "a 402 whose available disagrees with the ledger", response: (x) => void (x.status === 402 && x.url === "/api/v1/generate" && (x.body.error = x.body.error.replace(/available: \d+/, "available: 0"))) } },
  { test: "GET /vision lists the vision models", because: /deep/,
    drift: { name: "a catalog price that differs from the documented one", response: (x) => void (x.method === "GET" && x.url === "/api/v1/vision" && x.status === 200 && (x.body.models[0].credits += 1)) } },
  { test: "DELETE /vision answers 405", because: /Allow lists the documented methods/,
    drift: { name: "an Allow header naming the wrong methods", response: (x) => void (x.method === "DELETE" && x.status === 405 && (x.headers.allow = "GET")) } },
  { test: "/generate answers 429", because: /one-minute window/,
    drift: { name: "a Retry-After longer than the rate-limit window", response: (x) => void (x.status === 429 && x.url === "/api/v1/generate" && (x.headers["retry-after"] = "3600")) } },
  { test: "a job on a frozen clock is queued", because: /queue_position rose/,
    drift: { name: "a queue_position that rises while queued", response: (x) => {
      if (!isPoll(x) || x.body.status !== "queued") return;
      const n = risen.get(x.body.job_id) ?? 0;
      risen.set(x.body.job_id, n + 1);
      x.body.queue_position += n;
    } } },
  { test: "a VQA job answers the prompt", because: /answered for job/,
    drift: { name: "a poll that answers about another job", response: (x) => void (isPoll(x) && x.body.model_id === "moondream3-preview/query" && x.body.status === "completed" && (x.body.job_id = "someone-elses-job")) } },
  { test: "another key's job answers 404", because: /expected \[ 200/,
    drift: { name: "another key's job readable by anyone", request: (r) => {
      if (r.method === "POST") submitter = r.headers.authorization ?? "";
      const id = /^\/api\/v1\/jobs\/([^?]+)/.exec(r.url)?.[1];
      if (r.method === "GET" && id && owners.has(id)) r.headers.authorization = owners.get(id)!;
    }, response: (x) => void (isSubmit(x) && owners.set(x.body.job_id, submitter)) } },
];

describe("the contract suite keeps exact money and watches every poll", { timeout: 120_000 }, () => {
  let batch: Promise<Run> | undefined;
  const runBatch = () => (batch ??= runWithDrift(combine("round 2", ADVERSARIAL.map((c) => c.drift)), ADVERSARIAL.map((c) => escape(c.test)).join("|")));

  it.each(ADVERSARIAL)("catches $drift.name in the test meant for it", async ({ test, because }) => {
    const run = await runBatch();
    const target = run.summary.tests.find((t) => t.name.includes(test));
    expect(target, `test "${test}" ran`).toBeDefined();
    expect(target!.state).toBe("failed");
    expect(target!.error).toMatch(because);
  });

  it("passes the same tests when nothing drifts", async () => {
    const run = await runWithDrift({ name: "none" }, ADVERSARIAL.map((c) => escape(c.test)).join("|"));
    expect(run.summary.tests.filter((t) => t.state === "passed").length).toBe(ADVERSARIAL.length);
    expect(run.summary.failed).toBe(0);
  });

  it("takes the first credits_left as the baseline on a live target, and catches a later balance that is off", async () => {
    let n = 0;
    const drift: Drift = { name: "off by one after the first", hideControl: true, response: (x) => void (isSubmit(x) && n++ > 0 && (x.body.credits_left -= 1)) };
    const run = await runWithDrift(drift, "billable", ["--budget", "4"]);
    const ran = run.summary.tests.filter((t) => t.state !== "skipped");
    expect(ran.map((t) => t.state)).toEqual(["passed", "failed"]);
    expect(ran[1]!.error).toMatch(/credits_left is \d+, but the ledger expects \d+/);
  });
});
