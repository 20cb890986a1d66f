import { MemoryStore } from "../memory/store.js";
import type { StoreConfig } from "../types.js";

/** Placeholder until the Redis store lands. */
export class RedisStore extends MemoryStore {
  constructor(readonly url: string, readonly namespace: string, config: StoreConfig) {
    super(config);
  }
  override async open(): Promise<void> {
    throw new Error("the Redis store is not built yet");
  }
}
