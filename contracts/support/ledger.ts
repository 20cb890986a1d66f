import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { contractConfig } from "./config.js";

/**
 * Facts the runner needs after the suite: which operation × status pairs and
 * webhook events were observed, what was skipped and why, what was spent.
 * Appended as JSON lines, so nothing is lost if a test throws.
 */
export type LedgerEvent =
  | { type: "observe"; test: string; operationId: string; status: number }
  | { type: "webhook"; test: string; event: string }
  | { type: "request"; test: string; status: number }
  | { type: "spend"; test: string; credits: number }
  | { type: "declare"; test: string; cost: string; covers: string[] }
  | { type: "skip"; test: string; reason: string; covers: string[] }
  | { type: "overspend"; test: string; declared: number; charged: number; reason: string };

let current = "(outside a test)";

export function setCurrentTest(name: string): void {
  current = name;
}

export function currentTest(): string {
  return current;
}

export function record(event: LedgerEvent extends infer E ? (E extends { test: string } ? Omit<E, "test"> & { test?: string } : never) : never): void {
  const full = { test: current, ...event };
  appendFileSync(join(contractConfig().runDir, "ledger.jsonl"), JSON.stringify(full) + "\n");
}
