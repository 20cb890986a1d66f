import { randomBytes } from "node:crypto";
import { test, type TestContext } from "vitest";
import { contractConfig } from "./config.js";
import { ContractClient, RateLimitedError } from "./client.js";
import { record, setCurrentTest } from "./ledger.js";

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
let spent = 0;
let stoppedSpending: string | null = null;

export const budgetLeft = () => cfg.budget - spent;

function freshKey(): string {
  return `ae_test_contract_${randomBytes(6).toString("hex")}`;
}

function run(name: string, covers: string[], body: Body, gate: () => string | null) {
  test(name, async (ctx) => {
    setCurrentTest(name);
    const why = gate();
    if (why) {
      record({ type: "skip", reason: why, covers });
      ctx.skip(why);
      return;
    }
    record({ type: "declare", cost: "", covers });
    const freshClient = () => (cfg.isMock ? new ContractClient(freshKey(), cfg) : new ContractClient(undefined, cfg));
    try {
      await body({ api: freshClient(), ctx, freshClient });
    } catch (e) {
      if (e instanceof RateLimitedError) {
        const reason = `rate limited by the target, not a contract failure: ${e.message}`;
        record({ type: "skip", reason, covers });
        ctx.skip(reason);
        return;
      }
      throw e;
    }
  });
}

export function free(name: string, covers: string[], body: Body): void {
  run(`[free] ${name}`, covers, body, () => null);
}

export function mockOnly(name: string, covers: string[], body: Body): void {
  run(`[mock-only] ${name}`, covers, body, () => (cfg.isMock ? null : "mock-only: the target does not answer /__mock/health"));
}

/**
 * A test that spends credits. On a mock it always runs; elsewhere only if the
 * budget still covers `cost`, and never after a charge exceeded what a test
 * declared (the runner then exits 3).
 */
export function billable(name: string, cost: number, covers: string[], body: Body): void {
  run(`[billable ${cost} cr] ${name}`, covers, async (t) => {
    const before = spent;
    await body(t);
    const charged = spent - before;
    if (charged > cost) {
      stoppedSpending = `a test was charged ${charged} credits but declared ${cost}`;
      record({ type: "overspend", declared: cost, charged });
    }
  }, () => {
    if (cfg.isMock) return null;
    if (stoppedSpending) return `budget: stopped spending (${stoppedSpending})`;
    if (cost > budgetLeft()) return `budget: needs ${cost} credits, ${budgetLeft()} of ${cfg.budget} left (raise --budget / AE_CONTRACT_BUDGET)`;
    return null;
  });
}

/** Every charge the suite sees goes through here, so the budget is exact. */
export function noteCharge(credits: number): void {
  spent += credits;
  record({ type: "spend", credits });
}
