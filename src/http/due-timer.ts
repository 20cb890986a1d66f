import type { MockService } from "../domain/service.js";

/**
 * One timer per server (never one per job): it sleeps until the next due
 * event, so a job nobody polls still delivers its webhook and expires on time.
 */
export class DueTimer {
  #service: MockService;
  #timer: NodeJS.Timeout | undefined;
  #armedFor: number | undefined;
  /** performance.now() at which the armed timer fires. */
  #firesAt: number | undefined;
  #stopped = false;

  constructor(service: MockService) {
    this.#service = service;
  }

  poke(): void {
    if (this.#stopped) return;
    const next = this.#service.nextDueAt();
    if (next === undefined || this.#service.clock.frozen) return this.#clear();
    // setTimeout caps at 2^31-1 ms; a longer wait just re-arms.
    const delay = Math.min(Math.max(0, next - this.#service.now()), 2 ** 31 - 1);
    const firesAt = performance.now() + delay;
    // Same event and not due sooner: keep the timer. Advancing a running clock
    // brings the event closer in real time, so the timer must be re-armed.
    if (this.#armedFor === next && this.#timer && this.#firesAt !== undefined && firesAt >= this.#firesAt - 2) return;
    this.#clear();
    this.#armedFor = next;
    this.#firesAt = firesAt;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#armedFor = undefined;
      this.#firesAt = undefined;
      this.#service.runDue();
      this.poke();
    }, delay);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    this.#clear();
  }

  #clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = undefined;
    this.#firesAt = undefined;
  }
}
