import { ApiError } from "../../domain/errors.js";
import { unknownKey } from "../../domain/submit-flow.js";

export interface Account {
  key: string;
  credits: number;
  createdAt: number;
}

export interface KeyPolicy {
  /** Balance of a key on its first charge. */
  defaultCredits: number;
  /** null: any well-formed key is accepted (--keys auto); else only these keys, with their starting credits. */
  keys: ReadonlyMap<string, number> | null;
  /** Accounts that --keys auto may create. */
  maxKeys: number;
}

export function keyLimitError(maxKeys: number): ApiError {
  return new ApiError("UNAUTHORIZED", `Key limit reached: this mock creates at most ${maxKeys} accounts (--max-keys). Reuse a key, reset the mock, or raise --max-keys.`);
}

/**
 * Credit balances per API key. A key costs memory only once it is charged or
 * set: reading with an unknown key creates nothing. Deleted keys stay refused
 * until they are set again.
 */
export class Accounts {
  #byKey = new Map<string, Account>();
  #deleted = new Set<string>();
  readonly policy: KeyPolicy;

  constructor(policy: KeyPolicy) {
    this.policy = policy;
    this.#seed(0);
  }

  /** Throws 401 for a deleted key, or a key outside --keys FILE. */
  authorize(key: string): void {
    if (this.#deleted.has(key)) throw unknownKey();
    if (this.policy.keys !== null && !this.#byKey.has(key)) throw unknownKey();
  }

  /**
   * The account to charge. A new key gets one with the default balance that
   * is kept only when `add`ed after the charge succeeds, so a refused charge
   * (402, a refund) costs no memory and takes no place under --max-keys.
   */
  forCharge(key: string, now: number): { account: Account; created: boolean } {
    const acc = this.#byKey.get(key);
    if (acc) return { account: acc, created: false };
    if (this.#byKey.size >= this.policy.maxKeys) throw keyLimitError(this.policy.maxKeys);
    return { account: { key, credits: this.policy.defaultCredits, createdAt: now }, created: true };
  }

  /** Keeps a new account from forCharge, once charged. */
  add(account: Account): void {
    this.#byKey.set(account.key, account);
  }

  get(key: string): Account | undefined {
    return this.#byKey.get(key);
  }

  /** What a key would see now: its account, or the balance it would start with; undefined when refused. */
  balance(key: string): number | undefined {
    if (this.#deleted.has(key)) return undefined;
    const acc = this.#byKey.get(key);
    if (acc) return acc.credits;
    return this.policy.keys === null ? this.policy.defaultCredits : undefined;
  }

  list(): Account[] {
    return [...this.#byKey.values()];
  }

  get size(): number {
    return this.#byKey.size;
  }

  isDeleted(key: string): boolean {
    return this.#deleted.has(key);
  }

  /** Sets a balance, creating (or restoring) the key. */
  set(key: string, credits: number, now: number): Account {
    this.#deleted.delete(key);
    const acc = this.#byKey.get(key) ?? { key, credits, createdAt: now };
    acc.credits = credits;
    this.#byKey.set(key, acc);
    return acc;
  }

  /** Puts an account back as it was (a restart from a state file). */
  restore(acc: Account): void {
    this.#byKey.set(acc.key, { ...acc });
  }

  markDeleted(key: string, deleted: boolean): void {
    if (deleted) this.#deleted.add(key);
    else this.#deleted.delete(key);
  }

  delete(key: string): boolean {
    this.#deleted.add(key);
    return this.#byKey.delete(key);
  }

  deletedKeys(): string[] {
    return [...this.#deleted];
  }

  reset(key: string | undefined, now: number): void {
    if (key === undefined) {
      this.#byKey.clear();
      this.#deleted.clear();
      this.#seed(now);
    } else {
      this.#byKey.delete(key);
      this.#deleted.delete(key);
      const start = this.policy.keys?.get(key);
      if (start !== undefined) this.#byKey.set(key, { key, credits: start, createdAt: now });
    }
  }

  /** --keys FILE: the listed keys exist from the start, with their balances. */
  #seed(now: number): void {
    for (const [key, credits] of this.policy.keys ?? []) this.#byKey.set(key, { key, credits, createdAt: now });
  }
}
