import type { Job } from "../domain/jobs.js";

interface Delayed {
  at: number;
  job: Job;
  body: string;
}

/**
 * Webhooks held back by fault webhook_delay until a moment of virtual time,
 * soonest first. Kept by the process that claimed the delivery: they are few,
 * and a replica that dies takes its delayed webhooks with it.
 */
export class DelayedDeliveries {
  #list: Delayed[] = [];

  add(at: number, d: Omit<Delayed, "at">): void {
    let i = this.#list.length;
    while (i > 0 && this.#list[i - 1]!.at > at) i--;
    this.#list.splice(i, 0, { at, ...d });
  }

  nextAt(): number | undefined {
    return this.#list[0]?.at;
  }

  /** Removes and returns everything due at `now`, in time order. */
  takeDue(now: number): Delayed[] {
    let n = 0;
    while (n < this.#list.length && this.#list[n]!.at <= now) n++;
    return n === 0 ? [] : this.#list.splice(0, n);
  }

  /** What is waiting, soonest first, for the schedule. */
  entries(): readonly Readonly<Delayed>[] {
    return this.#list;
  }

  /** Forgets the webhooks of one key's jobs, or all. */
  clear(key?: string): void {
    this.#list = key === undefined ? [] : this.#list.filter((d) => d.job.key !== key);
  }
}
