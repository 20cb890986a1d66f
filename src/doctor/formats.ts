import { createHash } from "node:crypto";
import type * as Sarif from "sarif";
import { VERSION } from "../version.js";
import type { FindingView } from "./findings.js";
import { failing } from "./report.js";
import { RULE_INDEX, RULES, type Severity } from "./rules.js";

/** What `artemotion-mock doctor` concluded, as --report json:PATH writes it. */
export interface DoctorRun {
  target: string;
  key: string | null;
  fail_on: Severity;
  exit_code: number;
  verdict: string;
  findings: FindingView[];
  seen: Record<string, number>;
  generated_at: string;
}

export const REPORT_KINDS = ["json", "junit", "sarif"] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export function render(kind: ReportKind, run: DoctorRun): string {
  if (kind === "json") return JSON.stringify(run, null, 2) + "\n";
  if (kind === "junit") return junit(run);
  return JSON.stringify(sarif(run), null, 2) + "\n";
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);

const line = (f: FindingView) => `[${f.severity}] ${f.key ?? "(no key)"}${f.job_id ? ` job ${f.job_id}` : ""}${f.subject ? ` ${f.subject}` : ""} ×${f.count}: ${f.message}`;

/** One test case per rule: it fails when the rule has findings at or above --fail-on. */
export function junit(run: DoctorRun): string {
  const failed = new Set(failing(run.findings, run.fail_on));
  const cases = RULES.map((r) => {
    const all = run.findings.filter((f) => f.rule === r.id);
    const bad = all.filter((f) => failed.has(f));
    const name = xml(`${r.id}: ${r.title}`);
    if (bad.length === 0) {
      const out = all.length ? `\n      <system-out>${xml(all.map(line).join("\n"))}</system-out>\n    ` : "";
      return `    <testcase classname="artemotion-mock.doctor" name="${name}">${out}</testcase>`;
    }
    const text = [...bad.map(line), "", `advice: ${r.advice}`, `docs: "${r.doc}"`].join("\n");
    return `    <testcase classname="artemotion-mock.doctor" name="${name}">\n      <failure type="${bad.some((f) => f.severity === "error") ? "error" : "warn"}" message="${xml(`${bad.length} finding(s): ${bad[0]!.message}`)}">${xml(text)}</failure>\n    </testcase>`;
  });
  const failures = RULES.filter((r) => run.findings.some((f) => f.rule === r.id && failed.has(f))).length;
  const head = `name="artemotion-mock doctor" tests="${RULES.length}" failures="${failures}" errors="0" skipped="0"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${head}>`,
    `  <testsuite ${head} timestamp="${run.generated_at}" hostname="${xml(run.target)}">`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}

const level = (s: Severity): Sarif.ReportingConfiguration.level => (s === "error" ? "error" : "warning");

/** A SARIF 2.1.0 log: the rules as reportingDescriptors, each finding a result on a logical location (key, job). */
export function sarif(run: DoctorRun): Sarif.Log {
  const results: Sarif.Result[] = run.findings.map((f) => {
    const what = f.job_id ?? f.subject ?? "key";
    const fingerprint = createHash("sha256").update([f.rule, f.key ?? "", f.job_id ?? "", f.subject ?? ""].join("\n")).digest("hex").slice(0, 32);
    return {
      ruleId: f.rule,
      ruleIndex: RULE_INDEX[f.rule],
      level: level(f.severity),
      message: { text: `${f.message} ${RULES[RULE_INDEX[f.rule]]!.advice}` },
      locations: [{ logicalLocations: [{ name: what, fullyQualifiedName: `${f.key ?? "(no key)"}/${what}`, kind: f.job_id ? "object" : "resource" }] }],
      occurrenceCount: f.count,
      partialFingerprints: { "artemotionDoctorFinding/v1": fingerprint },
      properties: {
        key: f.key, count: f.count, first_seen: f.first_seen, last_seen: f.last_seen, evidence: f.evidence,
        ...(f.credits_wasted === undefined ? {} : { credits_wasted: f.credits_wasted }),
      },
    };
  });
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "artemotion-mock doctor",
            semanticVersion: VERSION,
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.id.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase()),
              shortDescription: { text: r.title },
              fullDescription: { text: `The ArtEmotion API docs: "${r.doc}"` },
              help: { text: r.advice },
              defaultConfiguration: { level: level(r.severity) },
            })),
          },
        },
        invocations: [{ executionSuccessful: true, exitCode: run.exit_code, properties: { target: run.target, fail_on: run.fail_on } }],
        results,
        properties: { verdict: run.verdict, seen: run.seen },
      },
    ],
  };
}
