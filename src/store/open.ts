import { loadKeyPolicy } from "../key-file.js";
import type { MockOptions } from "../options.js";
import { MemoryStore } from "./memory/store.js";
import { redactUrl } from "./redis/url.js";
import type { Store, StoreConfig } from "./types.js";

/** Where a store reports what it found while opening (a state file's torn line, what it restored). */
export interface StoreLog {
  warn(msg: string): void;
  info?(msg: string): void;
}

export function storeConfig(o: Readonly<MockOptions>, replica: string): StoreConfig {
  const policy = loadKeyPolicy(o);
  return {
    seed: o.seed, timing: o.timing, rateLimits: o.rateLimits, defaultCredits: o.credits,
    keys: policy.mode === "file" ? policy.keys : null, maxKeys: o.maxKeys,
    journalSize: o.journalSize, replica, wallNow: o.wallNow,
  };
}

export class StoreOpenError extends Error {
  override name = "StoreOpenError";
}

/**
 * Opens the store the options name (--store): memory at once; a state file
 * or Redis loaded only when asked for, so the default start loads neither.
 */
export async function openStore(options: Readonly<MockOptions>, replica: string, log?: StoreLog): Promise<Store> {
  const config = storeConfig(options, replica);
  let store: Store;
  if (options.store === "memory") store = new MemoryStore(config);
  else if (options.store.startsWith("file:")) {
    const { FileStore } = await import("./file/store.js");
    store = new FileStore(options.store.slice("file:".length), config, { log });
  } else {
    const { RedisStore } = await import("./redis/store.js");
    store = new RedisStore(options.store, options.namespace, config, { leaseMs: options.deliveryLeaseMs, log });
  }
  try {
    await store.open();
  } catch (e) {
    throw new StoreOpenError(`cannot open store ${redactUrl(options.store)}: ${(e as Error).message || (e as Error).name}`);
  }
  return store;
}
