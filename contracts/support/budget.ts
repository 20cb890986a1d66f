import { SpendGuard, SpendingStopped, type Allowance, type Overspend } from "../../src/contract/spending.js";
import { contractConfig } from "./config.js";
import { record } from "./ledger.js";

/**
 * Credits the suite has spent, and the guard that keeps a run that is not
 * against a mock within what its tests declared and within the budget. Every
 * 202 submit is counted by the client the moment it arrives, before any
 * check can throw, so a failing test still pays into the budget and the next
 * test is gated on what is really left.
 */
let guard: SpendGuard | null = null;

function theGuard(): SpendGuard {
  if (!guard) {
    const cfg = contractConfig();
    guard = new SpendGuard(cfg.budget, !cfg.isMock);
  }
  return guard;
}

export const creditsSpent = () => theGuard().spent;

/** Why spending stopped, or null while it has not. */
export const stoppedSpending = () => theGuard().stopped;

export function beginSpending(test: string, allowance: Allowance): void {
  theGuard().begin(test, allowance);
}

/** Throws SpendingRefused (the submit is not sent) when it would break the rules. */
export function guardSubmit(what: string, price: number | null): void {
  try {
    theGuard().beforeSubmit(what, price);
  } catch (e) {
    const stop = (e as { overspend?: Overspend | null }).overspend;
    if (stop) recordOverspend(stop);
    throw e;
  }
}

/** Counts a 202's charge; throws SpendingStopped when it is one the test may not pay. */
export function noteCharge(credits: number, what: string): void {
  record({ type: "spend", credits });
  const stop = theGuard().charged(credits, what);
  if (!stop) return;
  recordOverspend(stop);
  throw new SpendingStopped(stop);
}

/** When a test ends: a charge beyond its declaration that was not stopped at the time (on a mock) is still reported. */
export function endSpending(): void {
  const over = theGuard().end();
  if (over) recordOverspend(over);
}

function recordOverspend(o: Overspend): void {
  record({ type: "overspend", declared: o.declared, charged: o.charged, reason: o.reason });
}
