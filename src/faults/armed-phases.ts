import { registryEntry } from "../domain/registry.js";
import { PHASES, type Phase } from "../domain/scenarios.js";
import type { StreamEvent } from "../events/types.js";
import type { Store } from "../store/types.js";

interface Entry {
  phase: Phase;
  key: string | null;
}

/**
 * Which phases have an arming the fault engine must look for, kept from the
 * store's event stream (every replica's armings arrive there), so a request
 * asks the store only when something may be armed for it. Submit scenarios
 * are the store's own business and are not counted. A stale entry costs one
 * store call that finds nothing; the stream never leaves one missing.
 */
export class ArmedPhases {
  #entries = new Map<string, Entry>();
  #counts: Record<Phase, number> = { submit: 0, poll: 0, result: 0, webhook: 0 };
  #unsubscribe: () => void;
  #onChange: () => void;

  constructor(store: Store, onChange: () => void) {
    this.#onChange = onChange;
    this.#unsubscribe = store.events.subscribe((e) => this.#on(e));
    const list = store.armed();
    const load = (l: { id: string; scenario: string; key: string | null; phase: Phase; remaining: number }[]) => {
      for (const a of l) this.#add(a.id, a.scenario, a.phase, a.key);
    };
    if (list instanceof Promise) list.then(load, () => {});
    else load(list);
  }

  /** Armings the engine would look for, over every phase. */
  get total(): number {
    return this.#entries.size;
  }

  has(phase: Phase): boolean {
    return this.#counts[phase] > 0;
  }

  close(): void {
    this.#unsubscribe();
  }

  #on(e: StreamEvent): void {
    if (e.kind === "scenario") {
      const d = e.data;
      if (e.action === "armed") this.#add(d.id, d.scenario, d.phase as Phase, d.key);
      else if (e.action === "disarmed" || d.remaining <= 0) this.#remove(d.id);
    } else if (e.kind === "reset" || (e.kind === "account" && e.action === "deleted")) {
      const key = e.data.key;
      for (const [id, entry] of this.#entries) if (key === null || entry.key === key) this.#remove(id);
    }
  }

  #add(id: string, name: string, phase: Phase, key: string | null): void {
    if (!PHASES.includes(phase) || this.#entries.has(id)) return;
    if (phase === "submit" && registryEntry(name)?.kind !== "fault") return;
    this.#entries.set(id, { phase, key });
    this.#counts[phase] += 1;
    this.#onChange();
  }

  #remove(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#counts[entry.phase] -= 1;
    this.#onChange();
  }
}
