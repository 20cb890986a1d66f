import { DEFAULT_MODEL, findModelOfKind, type JobKind } from "../domain/catalog.js";

const REQUIRED = /Required: (\d+), available: (\d+)/;

/** The documented price of a submit, from the one catalog; null for a model the catalog does not know. */
export function priceOf(kind: JobKind, modelId: unknown): number | null {
  const id = typeof modelId === "string" ? modelId : DEFAULT_MODEL[kind];
  return findModelOfKind(kind, id)?.credits ?? null;
}

export interface SubmitAnswer {
  status: number;
  body: any;
  /** The insufficient_credits scenario reports `available: 0` whatever the balance (documented). */
  forcedInsufficient: boolean;
}

/**
 * One key's money, kept exactly: the start, minus every charge, plus every
 * refund. On a mock the start is read through the control API; on a live
 * target the first balance the API reports becomes the baseline. Every
 * credits_left and every 402's "Required: N, available: M" is checked
 * against it; a mismatch is returned as a sentence, never thrown.
 */
export class Wallet {
  /** The balance the ledger expects now; null until a start or baseline is known. */
  expected: number | null = null;
  charges = 0;
  refunds = 0;

  /** A balance read through the control API (the start, or after a test set it). */
  set(credits: number): void {
    this.expected = credits;
  }

  observe(price: number | null, a: SubmitAnswer): string[] {
    const bad: string[] = [];
    const b = a.body ?? {};
    if (a.status === 202) {
      const used = b.credits_used;
      if (price !== null && used !== price) bad.push(`credits_used is ${used}, but the catalog price of ${b.model_id ?? "the model"} is ${price}`);
      if (typeof used === "number") {
        this.charges += used;
        if (this.expected !== null) this.expected -= used;
      }
      if (typeof b.credits_left === "number") {
        if (this.expected === null) this.expected = b.credits_left;
        else if (b.credits_left !== this.expected) bad.push(`credits_left is ${b.credits_left}, but the ledger expects ${this.expected} (${this.#story()})`);
        this.expected = b.credits_left;
      }
    } else if (a.status === 402) {
      const m = REQUIRED.exec(String(b.error ?? ""));
      if (!m) return [`the 402 message does not say "Required: N, available: M": ${JSON.stringify(b.error)}`];
      const [required, available] = [Number(m[1]), Number(m[2])];
      if (price !== null && required !== price) bad.push(`the 402 says Required: ${required}, but the catalog price is ${price}`);
      if (!a.forcedInsufficient) {
        if (available >= required) bad.push(`the 402 says available: ${available}, which covers Required: ${required}`);
        if (this.expected === null) this.expected = available;
        else if (available !== this.expected) bad.push(`the 402 says available: ${available}, but the ledger expects ${this.expected} (${this.#story()})`);
      }
    } else if (a.status === 502 && b.code === "SUBMISSION_ERROR" && price !== null) {
      // Charged and refunded: the balance must not move.
      this.charges += price;
      this.refunds += price;
    }
    return bad;
  }

  /** Compares a balance read through the control API with the ledger. */
  settle(actual: number): string | null {
    if (this.expected === null || actual === this.expected) return null;
    return `the control API reports a balance of ${actual}, but the ledger expects ${this.expected} (${this.#story()})`;
  }

  #story(): string {
    return `charges ${this.charges}, refunds ${this.refunds}`;
  }
}
