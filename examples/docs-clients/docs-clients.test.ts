import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { createMockServer, createWebhookReceiver, type MockServer } from "artemotion-mock";
import ts from "typescript";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";

/**
 * The docs' own client programs (docs/, copied verbatim from the API docs) run
 * unchanged against a mock: only the base URL is replaced. Their waits move the
 * mock's frozen virtual clock (harness/), so each runs in well under a second.
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const DOCS_BASE_URL = "https://app.artemotion.ai/api/v1";
const KEY = "ae_test_docsclient1";
const read = (f: string) => readFileSync(join(HERE, "docs", f), "utf8");

/** The API docs' text, where a checkout has it: shared/reference/ beside the repository (or ARTEMOTION_API_DOCS). */
function findDocsText(): string | null {
  const candidates = [process.env.ARTEMOTION_API_DOCS];
  for (let d = join(HERE, "..", ".."); dirname(d) !== d; d = dirname(d)) candidates.push(join(d, "..", "shared", "reference", "artemotion-api-docs.txt"));
  const found = candidates.find((c): c is string => Boolean(c) && existsSync(c!));
  return found ? readFileSync(found, "utf8") : null;
}

const python = (() => {
  try {
    execFileSync("python3", ["-c", "import requests"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!python) console.warn("docs-clients: the Python examples are SKIPPED: no python3 with the requests package here (pip install requests to run them).");

const work = mkdtempSync(join(tmpdir(), "ae-docs-clients-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let mock: MockServer;
beforeEach(async () => {
  mock = await createMockServer({ seed: 11 });
  mock.freeze();
});
afterEach(() => mock.close());

/** The program with only its base URL changed, written where it runs; refused if anything still points at the live API. */
function prepare(name: string, source: string): string {
  const text = source.replaceAll(DOCS_BASE_URL, mock.baseUrl);
  expect(text, `${name} still names the live API`).not.toMatch(/artemotion\.ai/);
  const file = join(work, name);
  writeFileSync(file, text);
  return file;
}

/** Runs a program; its output, the waits it asked for (ms), and how far the mock's clock moved. */
async function runProgram(cmd: string, args: string[], file: string) {
  const sleepLog = `${file}.sleeps`;
  writeFileSync(sleepLog, "");
  const start = mock.clock().now_ms;
  const env = { ...process.env, AE_API_KEY: KEY, AE_MOCK_ORIGIN: mock.origin, AE_PROGRAM_URL: pathToFileURL(file).href, AE_SLEEP_LOG: sleepLog };
  const { stdout, stderr } = await promisify(execFile)(cmd, [...args, file], { cwd: work, env });
  const sleeps = readFileSync(sleepLog, "utf8").split("\n").filter(Boolean).map(Number);
  return { stdout, stderr, sleeps, advanced: mock.clock().now_ms - start };
}

const node = (name: string, source: string) => runProgram(process.execPath, ["--import", pathToFileURL(join(HERE, "harness/virtual-time.mjs")).href], prepare(name, source));
const py = (name: string) => runProgram("python3", [join(HERE, "harness/virtual_time.py")], prepare(name, read(name)));

/** The docs' backoff: 3 s, growing 1.2× to at most 10 s (as logged: whole ms). */
function expectDocsBackoff(sleeps: number[], firstMs: number) {
  let d = firstMs;
  for (const s of sleeps) {
    expect(s).toBe(Math.round(d));
    d = Math.min(d * 1.2, 10_000);
  }
}

const RESULT_URL = String.raw`http://127\.0\.0\.1:\d+/cdn/results/\S+`;

describe("the docs' JavaScript, unchanged but for the base URL", () => {
  it("Submit Try-On Job, then Get Job Status: polls every 3 s until the images are there", async () => {
    const r = await node("tryon-then-poll.mjs", `${read("submit-tryon.mjs")}\n${read("get-job-status.mjs")}`);
    expect(r.stdout).toMatch(new RegExp(`^Job \\S+ queued — used 15 credits\\nResult: ${RESULT_URL}\\n$`));
    expect(r.stderr).toBe("");
    expect(r.sleeps.length).toBeGreaterThanOrEqual(3); // 10–30 s of virtual time
    expect(new Set(r.sleeps)).toEqual(new Set([3000]));
    expect(r.advanced).toBe(r.sleeps.reduce((a, b) => a + b, 0));
  });

  it("Submit Vision Job: caption queued for 2 credits", async () => {
    const r = await node("submit-vision.mjs", read("submit-vision.mjs"));
    expect(r.stdout).toMatch(/^Queued: \S+ \(2 credits\)\n$/);
    expect(r.sleeps).toEqual([]);
  });

  it("Poll Vision Job: the full example prints the caption", async () => {
    const r = await node("poll-vision-job.mjs", read("poll-vision-job.mjs"));
    expect(r.stdout).toMatch(/^Caption: \S.+\n$/);
    expect(new Set(r.sleeps)).toEqual(new Set([2000]));
    expect(r.advanced).toBe(r.sleeps.reduce((a, b) => a + b, 0));
  });

  it("Polling Pattern: runTryon backs off 3 s ×1.2 and returns the result image", async () => {
    const r = await node("polling-pattern.mjs", read("polling-pattern.mjs"));
    expect(r.stdout).toMatch(new RegExp(`^Queued — 15 credits used\\nResult image: ${RESULT_URL}\\n$`));
    expect(r.sleeps.length).toBeGreaterThanOrEqual(3);
    expectDocsBackoff(r.sleeps, 3000);
  });

  it("SDK Examples, Node.js (TypeScript): compiled as written, node-fetch standing for the built-in fetch", async () => {
    const js = ts.transpileModule(read("sdk-tryon.ts"), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const r = await node("sdk-tryon.mjs", js);
    expect(r.stdout).toMatch(new RegExp(`^Queued — 15 credits used\\nResult: ${RESULT_URL}\\n$`));
    expectDocsBackoff(r.sleeps, 3000);
  });

  it("Verifying the signature: the docs' verifyWebhook accepts the mock's delivery, and refuses a tampered one or another secret", async () => {
    const { verifyWebhook } = (await import(pathToFileURL(join(HERE, "docs/verify-webhook.mjs")).href)) as {
      verifyWebhook: (rawBody: string, headers: Record<string, unknown>, secret: string) => boolean;
    };
    const receiver = await createWebhookReceiver();
    try {
      const secret = "whsec_pick_any_random_string";
      const res = await fetch(`${mock.baseUrl}/generate`, {
        method: "POST",
        headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
        body: JSON.stringify({ model_id: "flux-pro", prompt: "Cinematic portrait, golden hour", webhook_url: receiver.url, webhook_secret: secret }),
      });
      expect(res.status).toBe(202);
      mock.advance(120_000);
      const d = await receiver.waitFor();
      expect(verifyWebhook(d.rawBody, d.headers, secret)).toBe(true);
      expect(verifyWebhook(d.rawBody.replace("completed", "failed"), d.headers, secret)).toBe(false);
      expect(verifyWebhook(d.rawBody, d.headers, "whsec_another")).toBe(false);
    } finally {
      await receiver.close();
    }
  });
});

describe.skipIf(!python)(`the docs' Python, unchanged but for the base URL${python ? "" : " (SKIPPED: no python3 with requests)"}`, () => {
  it("Submit Try-On Job", async () => {
    const r = await py("submit_tryon.py");
    expect(r.stdout).toMatch(/^Job \S+ queued — used 15 credits\n$/);
  });

  it("Submit Vision Job: llava-next with a prompt, 4 credits", async () => {
    const r = await py("submit_vision.py");
    expect(r.stdout).toMatch(/^Queued \S+ — 4 credits\n$/);
  });

  it("Poll Vision Job: caption, question and NSFW check, sleeping 2 s between polls", async () => {
    const r = await py("run_vision.py");
    expect(r.stdout).toMatch(/^Caption: \S.+\nAnswer: \S.+\nNSFW: False \(probability: 0\.\d+\)\n$/);
    expect(new Set(r.sleeps)).toEqual(new Set([2000]));
    expect(r.advanced).toBe(r.sleeps.reduce((a, b) => a + b, 0));
  });

  it("SDK Examples, Python: run_tryon backs off 3 s ×1.2 and prints the result", async () => {
    const r = await py("sdk_tryon.py");
    expect(r.stdout).toMatch(new RegExp(`^Queued: \\S+ \\(15 credits\\)\\nResult: ${RESULT_URL}\\n$`));
    expectDocsBackoff(r.sleeps, 3000);
  });
});

describe("examples/docs-clients/docs", () => {
  const docs = findDocsText();
  it.skipIf(docs === null)(`holds the docs' code verbatim${docs === null ? " (SKIPPED: the API docs text is not beside this checkout)" : ""}`, () => {
    const files = ["submit-tryon.mjs", "get-job-status.mjs", "submit-vision.mjs", "poll-vision-job.mjs", "polling-pattern.mjs", "verify-webhook.mjs", "sdk-tryon.ts", "submit_tryon.py", "submit_vision.py", "run_vision.py", "sdk_tryon.py"];
    for (const f of files) expect(docs!.includes(read(f).trimEnd()), `${f} is not a verbatim excerpt of the docs`).toBe(true);
  });
});
