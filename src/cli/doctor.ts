import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { REPORT_KINDS, render, type DoctorRun, type ReportKind } from "../doctor/formats.js";
import { countBySeverity, failing, failingDropped, formatFindings, type DoctorReport } from "../doctor/report.js";
import type { Severity } from "../doctor/rules.js";

const DEFAULT_TARGET = "http://127.0.0.1:4010";
const HELP = `Usage: artemotion-mock doctor [options]

Asks a running mock what its clients did that will hurt them against the live
API (GET /__mock/doctor), prints the findings, and fails when any is at or
above --fail-on: how a CI job states "my client passes the doctor".

  --base-url <url>      The mock (its /api/v1 URL works too)             env AE_BASE_URL; default ${DEFAULT_TARGET}
  --key <key>           Only this API key's findings (or its key_ref)
  --fail-on <level>     error (default) or warn
  --report <kind:path>  json:PATH, junit:PATH or sarif:PATH (repeatable)
  --probe               First run the active probe: resend one delivery to every webhook
                        receiver seen with a forged signature, timestamp and body
  --admin-token <token> For a mock started with --admin-token             env MOCK_ADMIN_TOKEN
  --help

Exit codes: 0 no finding at or above --fail-on; 1 findings (counting those the
mock's full book of findings could only count); 2 configuration or target error
(bad flag, unreachable, not a mock, doctor off).`;

type Out = { log: (s: string) => void; err: (s: string) => void };

export async function runDoctorCli(argv: string[], env: NodeJS.ProcessEnv, out: Out): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: {
      "base-url": { type: "string" }, key: { type: "string" }, "fail-on": { type: "string" }, report: { type: "string", multiple: true },
      probe: { type: "boolean" }, "admin-token": { type: "string" }, help: { type: "boolean" },
    } }));
  } catch (e) {
    out.err(`artemotion-mock doctor: ${(e as Error).message}. Try --help.`);
    return 2;
  }
  if (values.help) return out.log(HELP), 0;
  const fail = (msg: string) => (out.err(`artemotion-mock doctor: ${msg}`), 2);
  const failOn = values["fail-on"] ?? "error";
  if (failOn !== "error" && failOn !== "warn") return fail(`--fail-on takes error or warn, got "${failOn}"`);
  const reports: { kind: ReportKind; path: string }[] = [];
  for (const r of values.report ?? []) {
    const m = /^([a-z]+):(.+)$/.exec(r);
    if (!m || !(REPORT_KINDS as readonly string[]).includes(m[1]!)) return fail(`--report takes json:PATH, junit:PATH or sarif:PATH, got "${r}"`);
    reports.push({ kind: m[1] as ReportKind, path: m[2]! });
  }
  let origin: string;
  try {
    const u = new URL(values["base-url"] ?? env.AE_BASE_URL ?? DEFAULT_TARGET);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    origin = u.origin;
  } catch {
    return fail(`--base-url is not an http(s) URL: "${values["base-url"] ?? env.AE_BASE_URL}"`);
  }
  const token = values["admin-token"] ?? env.MOCK_ADMIN_TOKEN;
  const headers: Record<string, string> = token ? { "X-Mock-Admin-Token": token } : {};
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${origin}/__mock${path}`, {
      method, headers: body === undefined ? headers : { ...headers, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    let parsed: any = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: reported below */
    }
    if (res.status !== 200 || parsed === null) throw new Error(`${method} /__mock${path} answered ${res.status}${parsed?.error ? `: ${parsed.error}` : ""} (is it an artemotion-mock with its control API on?)`);
    return parsed;
  };
  let report: DoctorReport;
  try {
    if (values.probe) {
      const probe = await call("POST", "/doctor/probe", {});
      for (const r of probe.receivers) out.log(`probe: ${r.url}: ${r.verdict}`);
      for (const s of probe.skipped) out.log(`probe: ${s.url}: skipped (${s.reason})`);
    }
    report = await call("GET", `/doctor${values.key ? `?key=${encodeURIComponent(values.key)}` : ""}`);
  } catch (e) {
    const cause = (e as Error & { cause?: { message?: string; code?: string } }).cause;
    return fail(`cannot read the doctor at ${origin}: ${(e as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ""}`);
  }
  if (!report.enabled) return fail(`${origin}: ${report.verdict}`);
  const bad = failing(report.findings, failOn as Severity);
  // A full book keeps counting what it cannot store: an error it dropped still fails the run.
  const droppedBad = failingDropped(report.seen, failOn as Severity);
  const exitCode = bad.length > 0 || droppedBad > 0 ? 1 : 0;
  const counts = countBySeverity(report.findings);
  const dropped = { error: report.seen.findings_dropped_errors ?? 0, warn: report.seen.findings_dropped_warnings ?? 0 };
  out.log(`artemotion-mock doctor: ${origin}${values.key ? ` (key ${values.key.slice(0, 12)}…)` : " (all keys)"}, fail on ${failOn}`);
  out.log("");
  out.log(formatFindings(report.findings, process.stdout.columns ?? 140));
  out.log("");
  out.log(report.verdict);
  if (dropped.error + dropped.warn > 0) {
    out.log(`The mock's book of findings is full: ${dropped.error} error(s) and ${dropped.warn} warning(s) more were only counted, not shown${droppedBad > 0 ? `; they count towards --fail-on ${failOn}` : ""}. POST /__mock/reset (all keys, or {"key": …}) starts afresh.`);
  }
  const droppedNote = dropped.error + dropped.warn > 0 ? ` + ${dropped.error} error(s), ${dropped.warn} warning(s) not shown` : "";
  out.log(`Result: ${exitCode === 0 ? "PASS" : "FAIL"} (${counts.error} error(s), ${counts.warn} warning(s)${droppedNote}; fail on ${failOn}; exit ${exitCode})`);
  const run: DoctorRun = {
    target: origin, key: values.key ?? null, fail_on: failOn as Severity, exit_code: exitCode, verdict: report.verdict,
    findings: report.findings, seen: report.seen, generated_at: new Date().toISOString(),
  };
  try {
    for (const r of reports) writeFileSync(r.path, render(r.kind, run));
  } catch (e) {
    return fail(`cannot write the report: ${(e as Error).message}`);
  }
  return exitCode;
}
