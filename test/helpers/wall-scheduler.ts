/**
 * Wall time for client code under test, without sleeping: tasks call
 * `sleep(ms)`; once every running task is asleep, the clock jumps to the
 * earliest wake-up (after `onAdvance`, e.g. letting the mock send what fell
 * due) and that task goes on. HTTP in between is real and awaited as usual.
 */
export class WallScheduler {
  now: number;
  #timers: { at: number; seq: number; wake: () => void }[] = [];
  #seq = 0;
  #live = 0;
  #sleeping = 0;
  #idle: (() => void) | null = null;

  constructor(
    start: number,
    readonly onAdvance: () => Promise<void> = async () => {},
  ) {
    this.now = start;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.#timers.push({ at: this.now + Math.max(0, ms), seq: this.#seq++, wake });
      this.#sleeping++;
      this.#checkIdle();
    });
  }

  /** Runs the tasks side by side to the end; rejects with the first failure once all have ended. */
  async run<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
    this.#live += tasks.length;
    const all = tasks.map((task) =>
      task().finally(() => {
        this.#live--;
        this.#checkIdle();
      }),
    );
    const settled = Promise.allSettled(all);
    while (this.#live > 0) {
      await new Promise<void>((resolve) => {
        this.#idle = resolve;
        this.#checkIdle();
      });
      if (this.#live === 0) break;
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers.shift()!;
      this.now = Math.max(this.now, next.at);
      await this.onAdvance();
      this.#sleeping--;
      next.wake();
    }
    await settled;
    return Promise.all(all);
  }

  #checkIdle(): void {
    if (this.#idle !== null && this.#sleeping >= this.#live) {
      const idle = this.#idle;
      this.#idle = null;
      idle();
    }
  }
}
