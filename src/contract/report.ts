import type { CoverageRow, LedgerLine } from "./gate.js";

export interface TestOutcome {
  name: string;
  state: "passed" | "failed" | "skipped";
  reason: string | null;
  error: string | null;
}

export interface ContractSummary {
  target: string;
  isMock: boolean;
  budget: number | null;
  passed: number;
  failed: number;
  skipped: number;
  creditsSpent: number;
  requests: number;
  rateLimited: number;
  overspend: boolean;
  /** Why spending stopped (the test and the charge or refused submit), when it did. */
  spendingStopped: string | null;
  coverageMissing: number;
  tests: TestOutcome[];
  coverage: CoverageRow[];
  exitCode: number;
}

export function summarise(target: string, isMock: boolean, budget: number | null, tests: TestOutcome[], ledger: LedgerLine[], coverage: CoverageRow[]): ContractSummary {
  const count = (s: TestOutcome["state"]) => tests.filter((t) => t.state === s).length;
  const stop = ledger.find((l) => l.type === "overspend");
  const overspend = stop !== undefined;
  const coverageMissing = coverage.filter((c) => c.state === "missing").length;
  const failed = count("failed");
  return {
    target, isMock, budget,
    passed: count("passed"), failed, skipped: count("skipped"),
    creditsSpent: ledger.filter((l) => l.type === "spend").reduce((n, l) => n + (l.credits ?? 0), 0),
    requests: ledger.filter((l) => l.type === "request").length,
    rateLimited: ledger.filter((l) => l.type === "request" && l.status === 429).length,
    overspend, spendingStopped: stop ? (stop.reason ?? `"${stop.test}" declared ${stop.declared} credits but was charged ${stop.charged}`) : null,
    coverageMissing, tests, coverage,
    // 3 only when spending had to stop; a plain failure or a coverage gap is 1.
    exitCode: overspend ? 3 : failed > 0 || coverageMissing > 0 || tests.length === 0 ? 1 : 0,
  };
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length));

export function formatSummary(s: ContractSummary): string {
  const lines: string[] = [];
  lines.push("", `Contract run against ${s.target} (${s.isMock ? "a mock: mock-only tests included" : "not a mock: mock-only tests skipped"}${s.isMock ? "" : `, budget ${s.budget ?? 0} credits`})`);
  lines.push(`  passed ${s.passed}, failed ${s.failed}, skipped ${s.skipped}`);
  lines.push(`  credits spent ${s.creditsSpent}, requests made ${s.requests}, 429s met ${s.rateLimited}`);
  const skipped = s.tests.filter((t) => t.state === "skipped");
  if (skipped.length) {
    lines.push("", "Skipped:");
    for (const t of skipped) lines.push(`  - ${t.name}: ${t.reason ?? "(no reason given)"}`);
  }
  const failed = s.tests.filter((t) => t.state === "failed");
  if (failed.length) {
    lines.push("", "Failed:");
    for (const t of failed) lines.push(`  - ${t.name}: ${(t.error ?? "").split("\n")[0]}`);
  }
  lines.push("", "Coverage (operation × documented status, webhook events):");
  const w = Math.max(...s.coverage.map((c) => c.item.length), 4);
  lines.push(`  ${pad("item", w)}  ${pad("state", 8)}  by`);
  for (const c of s.coverage) lines.push(`  ${pad(c.item, w)}  ${pad(c.state === "missing" ? "MISSING" : c.state, 8)}  ${c.by}`);
  if (s.coverageMissing) lines.push("", `Coverage gate FAILED: ${s.coverageMissing} item(s) have neither a test nor a written skip reason.`);
  if (s.overspend) lines.push("", `Budget: spending stopped (exit 3): ${s.spendingStopped}.`);
  lines.push("", `Result: ${s.exitCode === 0 ? "PASS" : "FAIL"} (exit ${s.exitCode})`);
  return lines.join("\n");
}
