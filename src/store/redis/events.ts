import type { EventStream, StreamEvent, Unsubscribe } from "../../events/types.js";
import { backoff, RedisConnection } from "./connection.js";

type Entry = { id: string; message: Record<string, string> };

const BLOCK_MS = 2000;
const BATCH = 500;

export function eventFrom(e: Entry): StreamEvent | null {
  try {
    return { ...(JSON.parse(e.message.e ?? "") as Omit<StreamEvent, "id">), id: e.id } as StreamEvent;
  } catch {
    return null;
  }
}

/**
 * The event stream of a Redis store: every script appends its events to one
 * capped Redis stream (XADD MAXLEN ~), and each replica reads it with XREAD
 * BLOCK on a connection of its own, handing every replica's events to its
 * local subscribers (SSE). The reader runs only while someone subscribes, so
 * a replica nobody watches pays nothing for it. Ids are stream ids.
 */
export class RedisEventStream implements EventStream {
  #subs: ((e: StreamEvent) => void)[] = [];
  #reader: RedisConnection | null = null;
  #running = false;
  #closed = false;
  #lastId: string | null = null;
  /** Sees every event read, before subscribers (the store keeps its clock estimate fresh with it). */
  onEvent: ((e: StreamEvent) => void) | null = null;

  constructor(
    readonly url: string,
    readonly streamKey: string,
    readonly commands: RedisConnection,
    readonly name: string,
  ) {}

  subscribe(fn: (e: StreamEvent) => void): Unsubscribe {
    this.#subs = [...this.#subs, fn];
    if (!this.#running) void this.#loop();
    return () => {
      this.#subs = this.#subs.filter((f) => f !== fn);
    };
  }

  get subscribers(): number {
    return this.#subs.length;
  }

  async since(lastId: string | null, limit = 1000): Promise<StreamEvent[]> {
    const start = lastId === null ? "-" : `(${lastId}`;
    let entries: Entry[];
    try {
      entries = (await this.commands.client.xRange(this.streamKey, start, "+", { COUNT: limit })) as Entry[];
    } catch {
      // A malformed Last-Event-ID, or Redis away: nothing to replay.
      return [];
    }
    return entries.map(eventFrom).filter((e): e is StreamEvent => e !== null);
  }

  #deliver(e: StreamEvent): void {
    this.onEvent?.(e);
    for (const fn of this.#subs) {
      try {
        fn(e);
      } catch {
        // A failing consumer must not stop the others.
      }
    }
  }

  async #loop(): Promise<void> {
    this.#running = true;
    let failures = 0;
    try {
      while (this.#subs.length > 0 && !this.#closed) {
        try {
          const reader = await this.#connected();
          // "From now on": the stream's last id when reading starts (never "$" per call, which would skip events between calls).
          if (this.#lastId === null) {
            const last = (await reader.client.xRevRange(this.streamKey, "+", "-", { COUNT: 1 })) as Entry[];
            this.#lastId = last[0]?.id ?? "0-0";
          }
          const reply = (await reader.client.xRead({ key: this.streamKey, id: this.#lastId }, { BLOCK: BLOCK_MS, COUNT: BATCH })) as { messages: Entry[] }[] | null;
          failures = 0;
          for (const stream of reply ?? []) {
            for (const entry of stream.messages) {
              this.#lastId = entry.id;
              const e = eventFrom(entry);
              if (e) this.#deliver(e);
            }
          }
        } catch {
          if (this.#closed) break;
          await new Promise((r) => setTimeout(r, backoff(failures++)));
        }
      }
    } finally {
      this.#running = false;
      this.#lastId = null;
    }
    if (this.#subs.length > 0 && !this.#closed) void this.#loop();
  }

  async #connected(): Promise<RedisConnection> {
    if (this.#reader) return this.#reader;
    const reader = new RedisConnection(this.url, `${this.name}:events`);
    try {
      await reader.open();
    } catch (e) {
      reader.client.destroy();
      throw e;
    }
    // close() may have run while this connection was opening: it found no reader to destroy.
    if (this.#closed) {
      reader.client.destroy();
      throw new Error("event stream closed");
    }
    this.#reader = reader;
    return reader;
  }

  close(): void {
    this.#closed = true;
    this.#reader?.client.destroy();
    this.#reader = null;
  }
}
