import type { Timing } from "../domain/lifecycle.js";
import { createMockServer } from "../server.js";
import { compareJobs } from "./behaviour.js";
import { compareExchange } from "./compare.js";
import { loadRecording, type Recording } from "./load.js";
import { proposalFor } from "./proposals.js";
import { replay, type ReplayTarget } from "./replay.js";
import type { DriftReport } from "./report.js";
import { compareWebhooks } from "./webhooks.js";
import { fails, GRADES, type Difference, type Grade, type NewDifference } from "./types.js";

export interface DriftOptions {
  /** Replay against this origin or base URL; otherwise an in-process mock is started. */
  against?: string;
  /** Timing of the in-process mock; default: the recording's, else fast for a mock recording and realistic for a live one. */
  timing?: Timing;
  failOn?: Grade;
}

export async function runDrift(dir: string, opts: DriftOptions = {}, progress: (s: string) => void = () => {}): Promise<{ report: DriftReport; recording: Recording }> {
  const recording = loadRecording(dir);
  const { target, close } = await targetFor(recording, opts);
  progress(`Replaying ${recording.exchanges.length} exchanges from ${recording.index.totals.tests} tests against ${target.description}…`);
  try {
    const result = await replay(recording, target);
    const found: (NewDifference & { test: string })[] = [];
    let timingOnly = 0;
    let exchanges = 0;
    for (const { rec, rep } of result.pairs) {
      if (!rep || rec.kind === "control") continue;
      exchanges++;
      const { diffs, timingSkipped } = compareExchange(rec, rep);
      if (timingSkipped) timingOnly++;
      found.push(...diffs.map((d) => ({ ...d, test: rec.test })));
    }
    found.push(...compareJobs(result.pairs), ...compareWebhooks(recording.webhooks, result.deliveries, result.subs));
    const differences = aggregate(found);
    const failOn = opts.failOn ?? "breaking";
    const counts = Object.fromEntries(GRADES.map((g) => [g, differences.filter((d) => d.grade === g).length])) as Record<Grade, number>;
    const report: DriftReport = {
      recording: dir,
      recordedTarget: { baseUrl: recording.index.target.baseUrl, isMock: recording.index.target.isMock },
      against: target.description,
      compared: {
        exchanges, timingOnly, webhooks: recording.webhooks.length,
        controlReplayed: result.pairs.filter((p) => p.rec.kind === "control" && p.rep).length,
        jobs: result.pairs.filter((p) => p.rec.operationId?.startsWith("submit") && p.rec.response.status === 202).length,
      },
      differences, counts, failOn, notes: result.notes,
      exitCode: differences.some((d) => fails(d.grade, failOn)) ? 1 : 0,
    };
    return { report, recording };
  } finally {
    await close();
  }
}

/** The same difference seen in many exchanges is reported once, with how often and in which tests. */
function aggregate(found: (NewDifference & { test: string })[]): Difference[] {
  const byKey = new Map<string, Difference>();
  for (const { test, ...d } of found) {
    const key = [d.grade, d.where, d.path, d.kind].join("\u0000");
    const seen = byKey.get(key);
    if (seen) {
      seen.count++;
      if (!seen.tests.includes(test)) seen.tests.push(test);
    } else byKey.set(key, { ...d, count: 1, tests: [test], proposal: proposalFor({ ...d, count: 1, tests: [test] }) });
  }
  return [...byKey.values()].sort((a, b) => GRADES.indexOf(a.grade) - GRADES.indexOf(b.grade) || a.where.localeCompare(b.where) || a.path.localeCompare(b.path));
}

async function targetFor(rec: Recording, opts: DriftOptions): Promise<{ target: ReplayTarget; close: () => Promise<void> }> {
  if (opts.against) {
    const origin = opts.against.replace(/\/+$/, "").replace(/\/api\/v1$/, "");
    let control = false;
    try {
      const res = await fetch(`${origin}/__mock/health`, { signal: AbortSignal.timeout(5_000) });
      control = res.ok;
    } catch { /* no control API */ }
    if (!control) {
      try {
        await fetch(`${origin}/api/v1/models`, { signal: AbortSignal.timeout(10_000) });
      } catch (e) {
        throw new Error(`--against ${opts.against} is unreachable: ${(e as Error).message}`);
      }
    }
    return { target: { origin, control, description: `${origin}${control ? " (its /__mock clock driven by the recording)" : " (no control API: real-time replay)"}` }, close: async () => {} };
  }
  const timing = opts.timing ?? rec.index.target.timing ?? (rec.index.target.isMock ? "fast" : "realistic");
  const mock = await createMockServer({ timing });
  return { target: { origin: mock.origin, control: true, description: `an in-process mock (${timing} timing)` }, close: () => mock.close() };
}
