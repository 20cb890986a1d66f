import { record } from "./ledger.js";

/**
 * Credits the suite has spent. Every 202 submit is counted by the client the
 * moment it arrives, before any check can throw, so a failing test still pays
 * into the budget and the next test is gated on what is really left.
 */
let spent = 0;

export const creditsSpent = () => spent;

export function noteCharge(credits: number): void {
  spent += credits;
  record({ type: "spend", credits });
}
