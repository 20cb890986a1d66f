import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { coverageGate, type LedgerLine } from "../contract/gate.js";
import { prepareRecordDir, writeIndex } from "../contract/record-dir.js";
import { formatSummary, summarise, type TestOutcome } from "../contract/report.js";
import { prepareReportPath, writeReport } from "../contract/report-file.js";
import { scanForSecrets } from "../contract/scan.js";
import { createMockServer, type MockServer } from "../server.js";
import { loadSpec } from "../spec/load.js";

const IN_PROCESS_TIMING = "fast" as const;
const CONFIG = fileURLToPath(new URL("../../contracts/vitest.config.ts", import.meta.url));
const HELP = `Usage: artemotion-mock contract [options]

Runs the contract suite against an in-process mock (default) or any target.

  --base-url <url>     Target base URL, e.g. https://app.artemotion.ai/api/v1   env AE_BASE_URL
  --api-key <key>      API key for the target (required with --base-url)       env AE_API_KEY
  --budget <credits>   Credits billable tests may spend on a non-mock target    env AE_CONTRACT_BUDGET (default 0)
  --report <kind:path> junit:out.xml or json:summary.json (repeatable)
  --grep <regex>       Only run tests whose names match
  --record <dir>       Save every exchange and webhook, redacted, as dir/index.json + dir/tests/*.json
                       (replay and compare them with \`artemotion-mock drift <dir>\`)
  --redact <value>     One more value to redact from the recording (repeatable)
  --help

Exit codes: 0 passed, 1 contract failure (or coverage gap), 2 configuration or target error
(or a secret left in the recording, or a report that cannot be written), 3 spending stopped on a
target that is not a mock: a free test was charged, a test was charged beyond what it declared,
or a submit was refused because it would have passed --budget.`;

type Out = { log: (s: string) => void; err: (s: string) => void };

export async function runContractCli(argv: string[], env: NodeJS.ProcessEnv, out: Out): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: {
      "base-url": { type: "string" }, "api-key": { type: "string" }, budget: { type: "string" },
      report: { type: "string", multiple: true }, grep: { type: "string" }, help: { type: "boolean" },
      record: { type: "string" }, redact: { type: "string", multiple: true },
    } }));
  } catch (e) {
    out.err(`artemotion-mock contract: ${(e as Error).message}`);
    return 2;
  }
  if (values.help) return out.log(HELP), 0;
  const fail = (msg: string) => (out.err(`artemotion-mock contract: ${msg}`), 2);
  const baseUrl = values["base-url"] ?? env.AE_BASE_URL;
  const apiKey = values["api-key"] ?? env.AE_API_KEY;
  const budgetRaw = values.budget ?? env.AE_CONTRACT_BUDGET ?? "0";
  if (!/^\d+$/.test(budgetRaw)) return fail(`--budget must be a whole number of credits, got "${budgetRaw}"`);
  const reports: { kind: "junit" | "json"; path: string }[] = [];
  for (const r of values.report ?? []) {
    const m = /^(junit|json):(.+)$/.exec(r);
    if (!m) return fail(`--report takes junit:PATH or json:PATH, got "${r}"`);
    // Against the working directory: vitest would put a relative junit path under contracts/, inside the package.
    reports.push({ kind: m[1] as "junit" | "json", path: resolve(m[2]!) });
    // Before any credit is spent: a report that cannot be written is a configuration error.
    const why = prepareReportPath(resolve(m[2]!));
    if (why) return fail(why);
  }
  // vitest runs the suite and only this command loads it, so `serve` starts without it.
  let startVitest: typeof import("vitest/node").startVitest;
  try {
    ({ startVitest } = await import("vitest/node"));
  } catch (e) {
    return fail(`cannot load vitest, which runs the suite (${(e as Error).message.split("\n")[0]}). It is a dependency of artemotion-mock: reinstall it (npm install).`);
  }
  const recordDir = values.record === undefined ? null : resolve(values.record);
  const redact = (values.redact ?? []).filter((v) => v !== "");
  if (recordDir) {
    const why = prepareRecordDir(recordDir);
    if (why) return fail(why);
  }
  let server: MockServer | undefined;
  let target: string;
  let key: string;
  if (baseUrl) {
    if (!apiKey) return fail("a target needs an API key: --api-key or AE_API_KEY");
    try {
      const u = new URL(baseUrl);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    } catch {
      return fail(`--base-url is not an http(s) URL: "${baseUrl}"`);
    }
    target = baseUrl.replace(/\/+$/, "");
    key = apiKey;
    try {
      await fetch(`${target}/models`, { signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      return fail(`target ${target} is unreachable: ${(e as Error).message}`);
    }
  } else {
    server = await createMockServer({ timing: IN_PROCESS_TIMING });
    target = server.baseUrl;
    key = "ae_test_contract_default";
  }
  const isMock = await probeMock(target);
  const runDir = mkdtempSync(join(tmpdir(), "ae-contract-"));
  // A fresh webhook secret per run: the suite signs with it, and the recording's scan knows to look for it.
  const webhookSecret = `whsec_${randomBytes(12).toString("hex")}`;
  Object.assign(process.env, {
    AE_BASE_URL: target, AE_API_KEY: key, AE_CONTRACT_BUDGET: budgetRaw, AE_CONTRACT_RUN_DIR: runDir,
    AE_CONTRACT_IS_MOCK: isMock ? "1" : "0", AE_CONTRACT_POLL_DEADLINE_MS: isMock ? "600000" : "60000",
    AE_CONTRACT_WEBHOOK_SECRET: webhookSecret, AE_CONTRACT_RECORD_DIR: recordDir ?? "",
    AE_CONTRACT_REDACT: JSON.stringify(redact), AE_CONTRACT_RECORD_SALT: randomBytes(16).toString("hex"),
  });
  try {
    const junit = reports.find((r) => r.kind === "junit");
    const vitest = await startVitest("test", [], {
      config: CONFIG, run: true, watch: false, passWithNoTests: true,
      reporters: junit ? ["default", "junit"] : ["default"],
      outputFile: junit ? { junit: junit.path } : undefined,
      testNamePattern: values.grep,
    });
    const tests = outcomes(vitest.state.getFiles());
    await vitest.close();
    const ledgerPath = join(runDir, "ledger.jsonl");
    const ledger: LedgerLine[] = existsSync(ledgerPath) ? readFileSync(ledgerPath, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
    const summary = summarise(target, isMock, isMock ? null : Number(budgetRaw), tests, ledger, coverageGate(loadSpec(), ledger));
    out.log(formatSummary(summary));
    for (const r of reports.filter((x) => x.kind === "json")) {
      const why = writeReport(r.path, JSON.stringify(summary, null, 2));
      if (why) return fail(why);
    }
    if (!recordDir) return summary.exitCode;
    const secrets = [key, webhookSecret, ...redact];
    const index = writeIndex(recordDir, { baseUrl: target, isMock, timing: server ? IN_PROCESS_TIMING : null }, secrets.length);
    const leaks = scanForSecrets(recordDir, secrets);
    out.log(`Recorded ${index.totals.exchanges} exchanges and ${index.totals.webhooks} webhooks from ${index.totals.tests} tests to ${recordDir} (redacted before writing).`);
    if (leaks.length === 0) return summary.exitCode;
    for (const l of leaks) out.err(`artemotion-mock contract: secret scan: ${l.file}: ${l.rule}`);
    out.err(`artemotion-mock contract: the recording in ${recordDir} still holds secrets (${leaks.length} finding(s)); do not share it.`);
    return 2;
  } finally {
    rmSync(runDir, { recursive: true, force: true });
    await server?.close();
  }
}

async function probeMock(baseUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl.replace(/\/api\/v1$/, "")}/__mock/health`, { signal: AbortSignal.timeout(5_000) });
    return res.ok && ((await res.json()) as { status?: string }).status === "ok";
  } catch {
    return false;
  }
}

interface Task { type: string; name: string; mode?: string; tasks?: Task[]; suite?: Task; result?: { state?: string; note?: string; errors?: { message?: string }[] } }

function outcomes(files: Task[]): TestOutcome[] {
  const out: TestOutcome[] = [];
  const walk = (t: Task, prefix: string) => {
    if (t.tasks) for (const c of t.tasks) walk(c, t.type === "file" ? "" : `${prefix}${t.name} › `);
    if (t.type !== "test") return;
    const state = t.result?.state === "pass" ? "passed" : t.result?.state === "fail" ? "failed" : "skipped";
    out.push({ name: prefix + t.name, state, reason: state === "skipped" ? (t.result?.note ?? (t.mode === "skip" ? "filtered out" : null)) : null, error: t.result?.errors?.[0]?.message ?? null });
  };
  for (const f of files) walk(f, "");
  return out;
}
