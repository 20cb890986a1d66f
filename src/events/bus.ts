import { Ring } from "./ring.js";
import type { EventStream, MockEvent, StreamEvent, Unsubscribe } from "./types.js";

/**
 * The in-process event stream: numbered events, a replay ring for
 * Last-Event-ID, and synchronous delivery to subscribers. With nobody
 * listening, publishing costs a number and a ring slot.
 */
export class MemoryEventBus implements EventStream {
  #ring: Ring<StreamEvent>;
  #seq = 0;
  #subs: ((e: StreamEvent) => void)[] = [];
  readonly replica: string;

  constructor(replica: string, retained = 2000) {
    this.replica = replica;
    this.#ring = new Ring(retained);
  }

  publish(event: MockEvent): StreamEvent {
    const e = event as StreamEvent;
    e.id = String(++this.#seq);
    e.replica ??= this.replica;
    this.#ring.push(e);
    this.deliver(e);
    return e;
  }

  /** Hands an event (maybe from another replica) to local subscribers. */
  deliver(e: StreamEvent): void {
    const subs = this.#subs;
    for (let i = 0; i < subs.length; i++) {
      try {
        subs[i]!(e);
      } catch {
        // A failing consumer must not break the request that published the event.
      }
    }
  }

  subscribe(fn: (e: StreamEvent) => void): Unsubscribe {
    this.#subs = [...this.#subs, fn];
    return () => {
      this.#subs = this.#subs.filter((f) => f !== fn);
    };
  }

  get subscribers(): number {
    return this.#subs.length;
  }

  since(lastId: string | null, limit = 1000): StreamEvent[] {
    const after = lastId === null ? 0 : Number(lastId);
    if (!Number.isFinite(after)) return [];
    return this.#ring.oldestFirst().filter((e) => Number(e.id) > after).slice(0, limit);
  }
}
