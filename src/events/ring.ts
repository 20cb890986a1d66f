/** A fixed-size ring buffer, so the journal and the event replay stay flat in memory under load. */
export class Ring<T> {
  #items: (T | undefined)[];
  #next = 0;
  #count = 0;

  constructor(readonly capacity: number) {
    this.#items = new Array(capacity);
  }

  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = this.#next + 1 === this.capacity ? 0 : this.#next + 1;
    if (this.#count < this.capacity) this.#count++;
  }

  get size(): number {
    return this.#count;
  }

  /** Newest first, while `keep` says so, at most `limit`. */
  newest(limit: number, keep: (item: T) => boolean = () => true): T[] {
    const out: T[] = [];
    for (let i = 1; i <= this.#count && out.length < limit; i++) {
      const item = this.#items[(this.#next - i + this.capacity) % this.capacity]!;
      if (keep(item)) out.push(item);
    }
    return out;
  }

  /** Oldest first. */
  oldestFirst(): T[] {
    return this.newest(this.#count).reverse();
  }

  clear(): void {
    this.#items = new Array(this.capacity);
    this.#next = 0;
    this.#count = 0;
  }
}
