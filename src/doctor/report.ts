import { maskSecrets } from "../http/mask.js";
import type { FindingView } from "./findings.js";
import { RULES, type Severity } from "./rules.js";

/** GET /__mock/doctor's answer (keys masked there). */
export interface DoctorReport {
  enabled: boolean;
  /** One line: what the doctor thinks of the client(s). */
  verdict: string;
  findings: FindingView[];
  seen: DoctorSeen;
}

// A type, not an interface: the CLI's json report keeps `seen` as a Record<string, number>.
export type DoctorSeen = {
  requests: number;
  keys: number;
  jobs: number;
  jobs_untracked: number;
  /** Findings the full book did not keep, all keys. */
  findings_dropped: number;
  /** Of those, by severity, for the key asked about (all keys without one): an error here fails `artemotion-mock doctor`. */
  findings_dropped_errors: number;
  findings_dropped_warnings: number;
};

export const DISABLED_REPORT: DoctorReport = Object.freeze({
  enabled: false,
  verdict: "The doctor is off on this mock (--doctor off).",
  findings: [],
  seen: { requests: 0, keys: 0, jobs: 0, jobs_untracked: 0, findings_dropped: 0, findings_dropped_errors: 0, findings_dropped_warnings: 0 },
});

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

export function countBySeverity(findings: readonly Pick<FindingView, "severity">[]): Record<Severity, number> {
  let error = 0;
  let warn = 0;
  for (const f of findings) if (f.severity === "error") error++; else warn++;
  return { error, warn };
}

export function verdictOf(findings: readonly FindingView[], requests: number, dropped?: Pick<DoctorSeen, "findings_dropped_errors" | "findings_dropped_warnings">): string {
  const lost = droppedText(dropped);
  if (findings.length === 0 && lost === "") return `No findings: the client follows the docs' rules in the ${plural(requests, "request")} seen.`;
  const { error, warn } = countBySeverity(findings);
  const rules = [...new Set(findings.map((f) => f.rule))];
  return `${plural(findings.length, "finding")} (${plural(error, "error")}, ${plural(warn, "warning")})${rules.length ? `: ${rules.join(", ")}` : ""}${lost}.`;
}

/** `; 2 more not kept, the doctor's book being full (1 error, 1 warning)` when it dropped some; "" otherwise. */
function droppedText(d: Pick<DoctorSeen, "findings_dropped_errors" | "findings_dropped_warnings"> | undefined): string {
  const error = d?.findings_dropped_errors ?? 0;
  const warn = d?.findings_dropped_warnings ?? 0;
  if (error + warn === 0) return "";
  return `; ${error + warn} more not kept, the doctor's book being full (${plural(error, "error")}, ${plural(warn, "warning")})`;
}

/** Findings at or above `failOn`. */
export function failing(findings: readonly FindingView[], failOn: Severity): FindingView[] {
  return failOn === "warn" ? [...findings] : findings.filter((f) => f.severity === "error");
}

/** Dropped findings (not in the report) at or above `failOn`; 0 from a mock too old to count them by severity. */
export function failingDropped(seen: Partial<DoctorSeen>, failOn: Severity): number {
  return (seen.findings_dropped_errors ?? 0) + (failOn === "warn" ? (seen.findings_dropped_warnings ?? 0) : 0);
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length));

/** Words into lines of at most `width` (a longer word keeps its own line). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/**
 * A plain-text table of findings (the message column wrapped to `width`),
 * then each broken rule's advice and the docs' sentence: the CLI's output and
 * the shutdown summary. Job ids are shortened; the reports carry them whole.
 */
export function formatFindings(findings: readonly FindingView[], width = 120): string {
  if (findings.length === 0) return "No findings.";
  const head = ["severity", "rule", "key", "job", "count", "what the client did"];
  const rows = findings.map((f) => [f.severity, f.rule, f.key ?? "(no key)", f.job_id ? `${f.job_id.slice(0, 8)}…` : "", String(f.count), f.message]);
  const widths = head.slice(0, 5).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const indent = widths.reduce((a, b) => a + b + 2, 0);
  const msgWidth = Math.max(40, width - indent);
  const cells = (r: string[]) => r.slice(0, 5).map((c, i) => (i === 4 ? c.padStart(widths[i]!) : pad(c, widths[i]!))).join("  ");
  const out = [`${cells(head)}  ${head[5]}`, [...widths, Math.min(msgWidth, 40)].map((w) => "-".repeat(w)).join("  ")];
  for (const r of rows) {
    const [first, ...more] = wrap(r[5]!, msgWidth);
    out.push(`${cells(r)}  ${first}`, ...more.map((l) => `${" ".repeat(indent)}${l}`));
  }
  const broken = RULES.filter((r) => findings.some((f) => f.rule === r.id));
  out.push("", "Advice:");
  const idWidth = Math.max(...broken.map((r) => r.id.length));
  for (const r of broken) out.push(`  ${pad(r.id, idWidth)}  ${r.advice}`, `  ${pad("", idWidth)}  docs: "${r.doc}"`);
  return out.join("\n");
}

/** Printed when the mock shuts down, only when there are findings: the last chance to see them. */
export function shutdownSummary(report: DoctorReport | undefined): string | null {
  if (!report || report.findings.length === 0) return null;
  // Keys hide in more than the key field: a message can quote a request's query (`?api_key=…`).
  const masked = maskSecrets(report) as DoctorReport;
  return [`artemotion-mock doctor: ${masked.verdict}`, "", formatFindings(masked.findings), ""].join("\n");
}
