import { groupedProposals } from "./proposals.js";
import { fails, GRADES, type Difference, type Grade } from "./types.js";

export interface DriftReport {
  recording: string;
  recordedTarget: { baseUrl: string; isMock: boolean };
  against: string;
  compared: { exchanges: number; controlReplayed: number; timingOnly: number; jobs: number; webhooks: number };
  differences: Difference[];
  counts: Record<Grade, number>;
  failOn: Grade;
  notes: string[];
  exitCode: 0 | 1;
}

const show = (x: unknown, n = 44) => {
  const s = x === null || x === undefined ? "—" : typeof x === "string" ? x : JSON.stringify(x);
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
};
const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length));

export function formatReport(r: DriftReport): string {
  const c = r.compared;
  const lines = [
    "",
    `Drift: ${r.recording} (recorded against ${r.recordedTarget.baseUrl}${r.recordedTarget.isMock ? ", a mock" : ""}) replayed against ${r.against}`,
    `  compared ${c.exchanges} exchanges (${c.timingOnly} polls caught a job in another state at that moment: timing, judged per job), ${c.jobs} jobs, ${c.webhooks} webhooks; ${c.controlReplayed} control calls replayed`,
  ];
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (r.differences.length === 0) lines.push("", "No differences.");
  else {
    const rows = r.differences.map((d) => [d.grade, d.where, d.path, show(d.recorded), show(d.mock), String(d.count)]);
    const head = ["grade", "where", "path", "recorded (live)", "mock", "×"];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    lines.push("", ("  " + head.map((h, i) => pad(h, w[i]!)).join("  ")).trimEnd(), "  " + w.map((n) => "-".repeat(n)).join("  "));
    for (const row of rows) lines.push(("  " + row.map((x, i) => pad(x, w[i]!)).join("  ")).trimEnd());
    lines.push("", "Proposed changes:");
    for (const p of groupedProposals(r.differences)) lines.push(`  - ${p}`);
  }
  const counts = GRADES.map((g) => `${r.counts[g]} ${g}`).join(", ");
  lines.push("", `Result: ${r.differences.length} difference(s): ${counts}; failing on ${r.failOn}${r.failOn === "breaking" ? "" : " or worse"} (exit ${r.exitCode})`);
  return lines.join("\n");
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** One testcase per recorded test: it fails when a difference at or above --fail-on was seen in it. */
export function junitReport(r: DriftReport, tests: string[]): string {
  const cases = tests.map((t) => {
    const mine = r.differences.filter((d) => d.tests.includes(t));
    const failing = mine.filter((d) => fails(d.grade, r.failOn));
    const line = (d: Difference) => `${d.grade} ${d.where} ${d.path}: recorded ${show(d.recorded, 200)}, mock ${show(d.mock, 200)}`;
    const failure = failing.length ? `<failure message="${xml(`${failing.length} difference(s)`)}">${xml(failing.map(line).join("\n"))}</failure>` : "";
    const out = mine.length > failing.length ? `<system-out>${xml(mine.filter((d) => !failing.includes(d)).map(line).join("\n"))}</system-out>` : "";
    return `    <testcase classname="drift" name="${xml(t)}">${failure}${out}</testcase>`;
  });
  const failures = cases.filter((c) => c.includes("<failure")).length;
  return [
    '<?xml version="1.0" encoding="UTF-8" ?>',
    `<testsuites name="artemotion-mock drift" tests="${tests.length}" failures="${failures}">`,
    `  <testsuite name="${xml(r.recording)}" tests="${tests.length}" failures="${failures}">`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
