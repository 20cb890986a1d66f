export interface JournalEntry {
  time: string;
  method: string;
  path: string;
  status: number;
  key: string | null;
  scenario: string | null;
  duration_ms: number;
}

/**
 * A request as the app records it. Formatting (ISO time, masked key) waits until the journal is
 * read: done per request it cost about 5 % of the poll route's throughput.
 */
export type JournalRecord = Omit<JournalEntry, "time" | "key"> & {
  timeMs: number;
  /** The raw key; only its masked form ever leaves the journal. */
  key: string | null;
};

/** The request journal: a fixed-size ring buffer, so memory stays flat under load. */
export class Journal {
  #ring: (JournalRecord | undefined)[];
  #next = 0;
  #count = 0;

  constructor(readonly capacity: number) {
    this.#ring = new Array(capacity);
  }

  add(record: JournalRecord): void {
    this.#ring[this.#next] = record;
    this.#next = (this.#next + 1) % this.capacity;
    this.#count = Math.min(this.#count + 1, this.capacity);
  }

  get size(): number {
    return this.#count;
  }

  /** Newest first, at most `limit`. */
  latest(limit = 100): JournalEntry[] {
    const n = Math.min(Math.max(0, Math.floor(limit)), this.#count);
    const out: JournalEntry[] = [];
    for (let i = 1; i <= n; i++) {
      const r = this.#ring[(this.#next - i + this.capacity) % this.capacity]!;
      out.push({ time: new Date(r.timeMs).toISOString(), method: r.method, path: r.path, status: r.status, key: r.key === null ? null : maskKey(r.key), scenario: r.scenario, duration_ms: r.duration_ms });
    }
    return out;
  }

  clear(): void {
    this.#ring = new Array(this.capacity);
    this.#next = 0;
    this.#count = 0;
  }
}

/** ae_test_abcdefgh1234 → ae_test_abcd…1234: enough to tell keys apart, not enough to reuse. */
export function maskKey(key: string): string {
  const m = /^(ae_(?:live|test)_)(.*)$/.exec(key);
  if (!m) return "***";
  const rest = m[2]!;
  return rest.length <= 8 ? `${m[1]}${rest.slice(0, 2)}…` : `${m[1]}${rest.slice(0, 4)}…${rest.slice(-4)}`;
}
