/** A binary min-heap of timed events, so advancing the clock applies what fell due in time order. */
export interface TimedEvent<T> {
  at: number;
  seq: number;
  value: T;
}

export class EventQueue<T> {
  #heap: TimedEvent<T>[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  push(at: number, value: T): void {
    this.#heap.push({ at, seq: this.#seq++, value });
    this.#up(this.#heap.length - 1);
  }

  peekTime(): number | undefined {
    return this.#heap[0]?.at;
  }

  /** Removes and returns the earliest event due at or before `now`. */
  popDue(now: number): TimedEvent<T> | undefined {
    const top = this.#heap[0];
    if (!top || top.at > now) return undefined;
    const last = this.#heap.pop()!;
    if (this.#heap.length > 0) {
      this.#heap[0] = last;
      this.#down(0);
    }
    return top;
  }

  clear(): void {
    this.#heap = [];
  }

  #less(i: number, j: number): boolean {
    const a = this.#heap[i]!, b = this.#heap[j]!;
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #swap(i: number, j: number): void {
    const t = this.#heap[i]!;
    this.#heap[i] = this.#heap[j]!;
    this.#heap[j] = t;
  }

  #up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(i, p)) return;
      this.#swap(i, p);
      i = p;
    }
  }

  #down(i: number): void {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < this.#heap.length && this.#less(l, m)) m = l;
      if (r < this.#heap.length && this.#less(r, m)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}
