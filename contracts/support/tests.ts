import { randomBytes } from "node:crypto";
import { test, type TestContext } from "vitest";
import { contractConfig } from "./config.js";
import { ContractClient, RateLimitedError } from "./client.js";
import { record, setCurrentTest } from "./ledger.js";
import { beginSpending, creditsSpent, endSpending, stoppedSpending } from "./budget.js";
import { SpendingRefused, type Allowance } from "../../src/contract/spending.js";
import { forgetTouched, settleWallets } from "./money.js";
import { beginTestRecording, endTestRecording } from "./recorder.js";

/**
 * Every contract test declares what it costs: `free` (0 credits), `billable`
 * (its credit cost; only within the budget on a target that is not a mock) or
 * `mockOnly` (needs the /__mock control API). `covers` names the
 * "operationId status" pairs and webhook events it exercises, so a skipped
 * test still accounts for them in the coverage gate.
 */
export interface ContractTestInfo {
  api: ContractClient;
  ctx: TestContext;
  /** A client on a fresh key (a mock provisions it); on a live API, the one key. */
  freshClient(): ContractClient;
}

type Body = (t: ContractTestInfo) => Promise<void>;

const cfg = contractConfig();

export const budgetLeft = () => cfg.budget - creditsSpent();

function freshKey(): string {
  return `ae_test_contract_${randomBytes(6).toString("hex")}`;
}

function run(name: string, covers: string[], allowance: Allowance, body: Body, gate: () => string | null) {
  test(name, async (ctx) => {
    setCurrentTest(name);
    beginSpending(name, allowance);
    beginTestRecording();
    forgetTouched();
    const skip = (reason: string) => {
      record({ type: "skip", reason, covers });
      endTestRecording(name, "skipped", reason);
      ctx.skip(reason);
    };
    const why = gate();
    if (why) return skip(why);
    record({ type: "declare", cost: "", covers });
    const freshClient = () => (cfg.isMock ? new ContractClient(freshKey(), cfg) : new ContractClient(undefined, cfg));
    try {
      try {
        await body({ api: freshClient(), ctx, freshClient });
      } finally {
        endSpending();
      }
      await settleWallets(cfg);
    } catch (e) {
      if (e instanceof RateLimitedError) return skip(`rate limited by the target, not a contract failure: ${e.message}`);
      // A submit refused because an earlier test stopped spending: this test could not run, it did not fail.
      if (e instanceof SpendingRefused && e.overspend === null) return skip(`budget: ${e.message}`);
      endTestRecording(name, "failed", e instanceof Error ? e.message.split("\n")[0]! : String(e));
      throw e;
    }
    endTestRecording(name, "passed", null);
  });
}

/** A test that must cost nothing: on a target that is not a mock, a 202 in it stops all spending (exit 3). */
export function free(name: string, covers: string[], body: Body): void {
  run(`[free] ${name}`, covers, { kind: "free" }, body, () => null);
}

export function mockOnly(name: string, covers: string[], body: Body): void {
  run(`[mock-only] ${name}`, covers, { kind: "mock-only" }, body, () => (cfg.isMock ? null : "mock-only: the target does not answer /__mock/health"));
}

/**
 * A test that spends credits. On a mock it always runs; elsewhere only if the
 * budget still covers `cost`, and never after spending stopped. Within it, the
 * client refuses any submit that would pass the budget, and a charge beyond
 * `cost` stops spending at once (the runner then exits 3).
 */
export function billable(name: string, cost: number, covers: string[], body: Body): void {
  run(`[billable ${cost} cr] ${name}`, covers, { kind: "billable", cost }, body, () => {
    if (cfg.isMock) return null;
    const stopped = stoppedSpending();
    if (stopped) return `budget: stopped spending (${stopped.reason})`;
    if (cost > budgetLeft()) return `budget: needs ${cost} credits, ${budgetLeft()} of ${cfg.budget} left (raise --budget / AE_CONTRACT_BUDGET)`;
    return null;
  });
}
