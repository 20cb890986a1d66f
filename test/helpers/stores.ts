import { MemoryStore } from "../../src/store/memory/store.js";
import type { Store, StoreConfig } from "../../src/store/types.js";

/** One way to open a fresh, empty store for one test; every store in the list runs the same behaviour suite. */
export interface StoreFactory {
  name: string;
  open(config?: Partial<StoreConfig>): Promise<Store>;
  /** Tears down whatever the factory started for the file (a Redis server, temp dirs). */
  teardown?(): Promise<void>;
}

export function storeConfig(overrides: Partial<StoreConfig> = {}): StoreConfig {
  return {
    seed: 7, timing: "realistic", rateLimits: true, defaultCredits: 1000, keys: null, maxKeys: 100_000,
    journalSize: 50, replica: "test:1", wallNow: Date.now, ...overrides,
  };
}

export const memoryFactory: StoreFactory = {
  name: "memory",
  async open(config) {
    const store = new MemoryStore(storeConfig(config));
    await store.open();
    return store;
  },
};

/** The stores the behaviour suite proves; the file and Redis stores add themselves here. */
export const STORE_FACTORIES: StoreFactory[] = [memoryFactory];
