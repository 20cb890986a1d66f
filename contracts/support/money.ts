import { priceOf, Wallet } from "../../src/contract/money.js";
import type { JobKind } from "../../src/domain/catalog.js";
import type { ContractConfig } from "./config.js";
import { rawControl } from "./control.js";

/** Balance given to each fresh key on a mock before its first submit, set explicitly so nothing depends on defaults. */
export const START_CREDITS = 1000;

const wallets = new Map<string, Wallet>();
let touched = new Set<string>();

export class MoneyViolation extends Error {
  override name = "ContractViolation";
}

/** On a mock, the key's start balance is set and read back through the control API before it spends anything. */
export async function openWallet(cfg: ContractConfig, key: string): Promise<void> {
  touched.add(key);
  if (!cfg.isMock || wallets.has(key)) return;
  await rawControl(cfg, "PUT", `/accounts/${encodeURIComponent(key)}`, { credits: START_CREDITS });
  await readBack(cfg, key);
}

async function readBack(cfg: ContractConfig, key: string): Promise<void> {
  const acc = await rawControl(cfg, "GET", `/accounts/${encodeURIComponent(key)}`);
  const w = wallets.get(key) ?? new Wallet();
  w.set(acc.credits);
  wallets.set(key, w);
}

/** Keeps the ledger in step with balances a test sets, deletes or resets through the control API. */
export async function noteControl(cfg: ContractConfig, method: string, path: string): Promise<void> {
  const m = /^\/accounts\/([^/?]+)$/.exec(path);
  if (m && method === "PUT") {
    touched.add(decodeURIComponent(m[1]!));
    await readBack(cfg, decodeURIComponent(m[1]!));
  } else if (m && method === "DELETE") wallets.delete(decodeURIComponent(m[1]!));
  else if (path === "/reset" && method === "POST") wallets.clear();
}

/** Checks one submit answer against the catalog and the ledger; throws on the first mismatch. */
export function noteSubmit(key: string, kind: JobKind, requestBody: unknown, headers: Record<string, string>, status: number, body: unknown): void {
  const w = wallets.get(key) ?? new Wallet();
  wallets.set(key, w);
  touched.add(key);
  const scenario = Object.entries(headers).find(([k]) => k.toLowerCase() === "x-mock-scenario")?.[1] ?? "";
  const forcedInsufficient = /insufficient[-_]credits/i.test(scenario) || /insufficient[-_]credits\.scenario\.test/i.test(JSON.stringify(requestBody ?? ""));
  const price = priceOf(kind, (requestBody as { model_id?: unknown } | undefined)?.model_id);
  const bad = w.observe(price, { status, body, forcedInsufficient });
  if (bad.length) throw new MoneyViolation(`money: ${bad.join("; ")}`);
}

/** At the end of a test on a mock: every key it used must hold exactly what the ledger says. */
export async function settleWallets(cfg: ContractConfig): Promise<void> {
  const keys = touched;
  touched = new Set();
  if (!cfg.isMock) return;
  for (const key of keys) {
    const w = wallets.get(key);
    if (!w || w.expected === null) continue;
    const acc = await rawControl(cfg, "GET", `/accounts/${encodeURIComponent(key)}`);
    const bad = w.settle(acc.credits);
    if (bad) throw new MoneyViolation(`money: ${bad}`);
  }
}

export function forgetTouched(): void {
  touched = new Set();
}
