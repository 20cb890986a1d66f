import { ApiError } from "./errors.js";

export interface Account {
  key: string;
  credits: number;
  createdAt: number;
}

/** API key format from the docs' examples: ae_live_/ae_test_ and at least 8 of [A-Za-z0-9_]. */
export const API_KEY_PATTERN = /^ae_(live|test)_[A-Za-z0-9_]{8,200}$/;

/** Credit balances per API key. Keys are provisioned on first use; deleted keys stay refused. */
export class Accounts {
  #byKey = new Map<string, Account>();
  #deleted = new Set<string>();
  readonly defaultCredits: number;

  constructor(defaultCredits: number) {
    this.defaultCredits = defaultCredits;
  }

  /** The account for a key that passed the format check, created with the default balance on first use. */
  authenticate(key: string, now: number): Account {
    if (this.#deleted.has(key)) throw new ApiError("UNAUTHORIZED", "Invalid API key");
    let acc = this.#byKey.get(key);
    if (!acc) {
      acc = { key, credits: this.defaultCredits, createdAt: now };
      this.#byKey.set(key, acc);
    }
    return acc;
  }

  get(key: string): Account | undefined {
    return this.#byKey.get(key);
  }

  list(): Account[] {
    return [...this.#byKey.values()];
  }

  /** Sets a balance, creating (or restoring) the key. */
  set(key: string, credits: number, now: number): Account {
    this.#deleted.delete(key);
    const acc = this.#byKey.get(key) ?? { key, credits, createdAt: now };
    acc.credits = credits;
    this.#byKey.set(key, acc);
    return acc;
  }

  delete(key: string): boolean {
    this.#deleted.add(key);
    return this.#byKey.delete(key);
  }

  /** Check and deduct in one step; JS runs this without interleaving, so concurrent submits cannot overdraw. */
  charge(acc: Account, cost: number): void {
    if (acc.credits < cost) {
      throw new ApiError("INSUFFICIENT_CREDITS", `Insufficient credits. Required: ${cost}, available: ${acc.credits}.`);
    }
    acc.credits -= cost;
  }

  refund(acc: Account, cost: number): void {
    acc.credits += cost;
  }

  reset(key?: string): void {
    if (key === undefined) {
      this.#byKey.clear();
      this.#deleted.clear();
    } else {
      this.#byKey.delete(key);
      this.#deleted.delete(key);
    }
  }
}
