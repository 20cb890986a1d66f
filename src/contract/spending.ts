/**
 * The contract suite's spending rules on a target that is not a mock, kept
 * apart from I/O so they can be tested alone. A `free` test may be charged
 * nothing: its submits are ones the target must reject, so a 202 is money
 * lost and spending stops at once. A billable test may spend what it
 * declared, and no submit may take the run past the budget: such a submit is
 * refused before it is sent. Once spending has stopped, every later submit
 * of the run is refused. Against a mock nothing is refused (its credits are
 * not money); only a charge above a billable test's declaration is reported,
 * when the test ends.
 */
export type Allowance = { kind: "free" } | { kind: "billable"; cost: number } | { kind: "mock-only" };

/** Why spending stopped, for the ledger and the summary. */
export interface Overspend {
  test: string;
  declared: number;
  charged: number;
  reason: string;
}

/** A submit the guard did not let through; `overspend` is set when this refusal is what stopped spending. */
export class SpendingRefused extends Error {
  override name = "SpendingRefused";
  constructor(message: string, readonly overspend: Overspend | null) {
    super(message);
  }
}

/** A charge that stopped spending (a free test charged, or a billable test charged beyond its declaration). */
export class SpendingStopped extends Error {
  override name = "SpendingStopped";
  constructor(readonly overspend: Overspend) {
    super(`spending stopped: ${overspend.reason}`);
  }
}

export class SpendGuard {
  spent = 0;
  stopped: Overspend | null = null;
  #test = "(outside a test)";
  #allowance: Allowance = { kind: "free" };
  #chargedInTest = 0;

  /** `live`: the target is not a mock, so its credits are money and the budget applies. */
  constructor(readonly budget: number, readonly live: boolean) {}

  begin(test: string, allowance: Allowance): void {
    this.#test = test;
    this.#allowance = allowance;
    this.#chargedInTest = 0;
  }

  /** Before a submit is sent: throws SpendingRefused when it must not be; `price` is the catalog's (null: unknown model). */
  beforeSubmit(what: string, price: number | null): void {
    if (!this.live) return;
    if (this.stopped) throw new SpendingRefused(`stopped spending (${this.stopped.reason}); ${what} was not sent`, null);
    const a = this.#allowance;
    if (a.kind !== "billable" || price === null || this.spent + price <= this.budget) return;
    const stop: Overspend = {
      test: this.#test, declared: a.cost, charged: this.#chargedInTest + price,
      reason: `"${this.#test}" would have gone past the budget: ${what} costs ${price} credits at the catalog price, and ${this.spent} of ${this.budget} are spent; the submit was refused, not sent`,
    };
    this.stopped = stop;
    throw new SpendingRefused(`budget: ${stop.reason}`, stop);
  }

  /** A 202 arrived and cost `credits`. Returns the overspend when this charge stops spending. */
  charged(credits: number, what: string): Overspend | null {
    this.spent += credits;
    this.#chargedInTest += credits;
    if (!this.live || this.stopped) return null;
    const a = this.#allowance;
    if (a.kind === "billable" && this.#chargedInTest <= a.cost) return null;
    const declared = a.kind === "billable" ? a.cost : 0;
    const said = a.kind === "billable" ? `declared ${a.cost} credits` : "is free";
    this.stopped = {
      test: this.#test, declared, charged: this.#chargedInTest,
      reason: `"${this.#test}" ${said} but was charged ${credits} credits by a 202 on ${what} (${this.#chargedInTest} in this test)`,
    };
    return this.stopped;
  }

  /** When a test ends: a billable test charged beyond its declaration and not yet reported (on a mock). */
  end(): Overspend | null {
    const a = this.#allowance;
    if (a.kind !== "billable" || this.#chargedInTest <= a.cost || this.stopped?.test === this.#test) return null;
    const over: Overspend = {
      test: this.#test, declared: a.cost, charged: this.#chargedInTest,
      reason: `"${this.#test}" declared ${a.cost} credits but was charged ${this.#chargedInTest}`,
    };
    this.stopped ??= over;
    return over;
  }
}
