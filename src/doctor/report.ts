import type { FindingView } from "./findings.js";
import { RULES, type Severity } from "./rules.js";

/** GET /__mock/doctor's answer (keys masked there). */
export interface DoctorReport {
  enabled: boolean;
  /** One line: what the doctor thinks of the client(s). */
  verdict: string;
  findings: FindingView[];
  seen: { requests: number; keys: number; jobs: number; jobs_untracked: number; findings_dropped: number };
}

export const DISABLED_REPORT: DoctorReport = Object.freeze({
  enabled: false,
  verdict: "The doctor is off on this mock (--doctor off).",
  findings: [],
  seen: { requests: 0, keys: 0, jobs: 0, jobs_untracked: 0, findings_dropped: 0 },
});

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

export function countBySeverity(findings: readonly Pick<FindingView, "severity">[]): Record<Severity, number> {
  let error = 0;
  let warn = 0;
  for (const f of findings) if (f.severity === "error") error++; else warn++;
  return { error, warn };
}

export function verdictOf(findings: readonly FindingView[], requests: number): string {
  if (findings.length === 0) return `No findings: the client follows the docs' rules in the ${plural(requests, "request")} seen.`;
  const { error, warn } = countBySeverity(findings);
  const rules = [...new Set(findings.map((f) => f.rule))];
  return `${plural(findings.length, "finding")} (${plural(error, "error")}, ${plural(warn, "warning")}): ${rules.join(", ")}.`;
}

/** Findings at or above `failOn`. */
export function failing(findings: readonly FindingView[], failOn: Severity): FindingView[] {
  return failOn === "warn" ? [...findings] : findings.filter((f) => f.severity === "error");
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length));
const cut = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** A plain-text table of findings, then each broken rule's advice: the CLI's output and the shutdown summary. */
export function formatFindings(findings: readonly FindingView[], width = 120): string {
  if (findings.length === 0) return "No findings.";
  const rows = findings.map((f) => [f.severity, f.rule, f.key ?? "(no key)", f.job_id ? cut(f.job_id, 13) : "", String(f.count), f.message]);
  const head = ["severity", "rule", "key", "job", "count", "what the client did"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.slice(0).map((r) => (i === 5 ? 0 : r[i]!.length))));
  const fixed = widths.slice(0, 5).reduce((a, b) => a + b + 2, 0);
  const msgWidth = Math.max(30, width - fixed);
  const line = (r: string[]) => r.map((c, i) => (i === 5 ? cut(c, msgWidth) : i === 4 ? c.padStart(widths[i]!) : pad(c, widths[i]!))).join("  ").trimEnd();
  const out = [line(head), widths.map((w, i) => "-".repeat(i === 5 ? Math.min(msgWidth, 40) : w)).join("  "), ...rows.map(line)];
  const broken = RULES.filter((r) => findings.some((f) => f.rule === r.id));
  out.push("", "Advice:");
  const idWidth = Math.max(...broken.map((r) => r.id.length));
  for (const r of broken) out.push(`  ${pad(r.id, idWidth)}  ${r.advice}`, `  ${pad("", idWidth)}  docs: "${r.doc}"`);
  return out.join("\n");
}
