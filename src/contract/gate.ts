import type { OpenApiDoc } from "../spec/load.js";
import { operationsOf } from "../spec/load.js";

export interface LedgerLine {
  type: string;
  test: string;
  operationId?: string;
  status?: number;
  event?: string;
  reason?: string;
  covers?: string[];
  credits?: number;
  declared?: number;
  charged?: number;
}

export interface CoverageRow {
  item: string;
  state: "tested" | "skipped" | "missing";
  by: string;
}

/**
 * Combos not exercised by any test, each with its reason. Kept short on
 * purpose: every entry here is a gap someone chose, in writing.
 */
export const STATIC_SKIPS: Readonly<Record<string, string>> = {};

/** Every operation × documented status, and every webhook event, of the spec. */
export function coverageItems(doc: OpenApiDoc): string[] {
  const items = operationsOf(doc).flatMap((o) => o.statuses.map((s) => `${o.operationId} ${s}`));
  const webhook = Object.values(doc.webhooks ?? {})[0] as { post?: { parameters?: { name: string; schema?: { enum?: string[] } }[] } } | undefined;
  const events = webhook?.post?.parameters?.find((p) => p.name.toLowerCase() === "x-artemotion-event")?.schema?.enum ?? [];
  return [...items, ...events.map((e) => `webhook ${e}`)];
}

/** No silent green: an item is tested, or skipped with a written reason, or the gate fails. */
export function coverageGate(doc: OpenApiDoc, ledger: LedgerLine[], staticSkips: Readonly<Record<string, string>> = STATIC_SKIPS): CoverageRow[] {
  const tested = new Map<string, string>();
  for (const l of ledger) {
    const item = l.type === "observe" ? `${l.operationId} ${l.status}` : l.type === "webhook" ? `webhook ${l.event}` : null;
    if (item && !tested.has(item)) tested.set(item, l.test);
  }
  const skipped = new Map<string, string>();
  for (const l of ledger) if (l.type === "skip") for (const c of l.covers ?? []) if (!skipped.has(c)) skipped.set(c, `${l.test}: ${l.reason}`);
  return coverageItems(doc).map((item) => {
    const by = tested.get(item);
    if (by) return { item, state: "tested", by };
    const why = skipped.get(item) ?? staticSkips[item];
    if (why) return { item, state: "skipped", by: why };
    return { item, state: "missing", by: "no test and no written skip reason" };
  });
}
