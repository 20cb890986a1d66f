import { pickArmed, type Armed, type ArmInput, type DisarmFilter, type Phase } from "../../domain/scenarios.js";

/** Scenarios and faults armed for the next N requests of a key (or of every key), in arming order. */
export class ArmedScenarios {
  #armed: Armed[] = [];
  #nextId = 1;

  arm(input: ArmInput): Armed {
    const { count, ...rest } = input;
    const a: Armed = { id: `arm_${this.#nextId++}`, ...rest, remaining: count };
    this.#armed.push(a);
    return { ...a };
  }

  list(): Armed[] {
    return this.#armed.map((a) => ({ ...a }));
  }

  /** Disarms one arming by id, every arming of a key, or everything; returns the removed entries. */
  disarm(filter: DisarmFilter = {}): Armed[] {
    const gone = (a: Armed) => (filter.id !== undefined ? a.id === filter.id : filter.key !== undefined ? a.key === filter.key : true);
    const removed = this.#armed.filter(gone);
    this.#armed = this.#armed.filter((a) => !gone(a));
    return removed;
  }

  /** Uses up one request's worth of the first arming that applies; returns it as it was before. */
  take(key: string, phase: Phase, applicable: readonly string[]): Armed | null {
    if (this.#armed.length === 0) return null;
    const a = pickArmed(this.#armed, key, phase, applicable);
    if (!a) return null;
    a.remaining -= 1;
    if (a.remaining <= 0) this.#armed = this.#armed.filter((x) => x !== a);
    return { ...a };
  }

  /** Replaces the whole list (a restart from a state file); ids never go back. */
  restore(list: Armed[]): void {
    this.#armed = list.map((a) => ({ ...a }));
    this.raiseLastId(Math.max(0, ...list.map((a) => Number(a.id.replace(/^arm_/, "")) || 0)));
  }

  /** The number of the last id handed out. */
  get lastId(): number {
    return this.#nextId - 1;
  }

  raiseLastId(n: number): void {
    if (n + 1 > this.#nextId) this.#nextId = n + 1;
  }
}
