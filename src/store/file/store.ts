import { MemoryStore } from "../memory/store.js";
import type { StoreConfig } from "../types.js";

/** Placeholder until the state-file store lands. */
export class FileStore extends MemoryStore {
  override readonly kind = "file" as const;
  constructor(readonly path: string, config: StoreConfig) {
    super(config);
  }
  override async open(): Promise<void> {
    throw new Error("the file store is not built yet");
  }
}
