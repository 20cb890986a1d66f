/**
 * One virtual clock per server instance. It runs with the wall clock unless
 * frozen; advancing moves it forward without waiting. Time never goes back,
 * so derived job states only move forward.
 */
export class VirtualClock {
  #wallNow: () => number;
  #offset = 0;
  #frozenAt: number | null = null;

  constructor(wallNow: () => number = Date.now) {
    this.#wallNow = wallNow;
  }

  now(): number {
    return this.#frozenAt ?? this.#wallNow() + this.#offset;
  }

  get frozen(): boolean {
    return this.#frozenAt !== null;
  }

  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError("advance takes a finite, non-negative number of ms");
    if (this.#frozenAt !== null) this.#frozenAt += ms;
    else this.#offset += ms;
    return this.now();
  }

  freeze(): number {
    this.#frozenAt ??= this.now();
    return this.#frozenAt;
  }

  resume(): number {
    if (this.#frozenAt !== null) {
      this.#offset = this.#frozenAt - this.#wallNow();
      this.#frozenAt = null;
    }
    return this.now();
  }

  /** What must survive a restart: the offset from the wall clock, or the frozen instant. */
  state(): { offset: number; frozenAt: number | null } {
    return { offset: this.#offset, frozenAt: this.#frozenAt };
  }

  restore(s: { offset: number; frozenAt: number | null }): void {
    this.#offset = s.offset;
    this.#frozenAt = s.frozenAt;
  }

  /** Wall-clock milliseconds, for values that must match the receiver's clock (webhook signing). */
  wallNow(): number {
    return this.#wallNow();
  }
}
