import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, type FileStoreOptions } from "../../src/store/file/store.js";
import { MemoryStore } from "../../src/store/memory/store.js";
import { RedisStore } from "../../src/store/redis/store.js";
import { startRedisServer, type RedisServer } from "../../scripts/redis-server.mjs";
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

/** A fresh state directory under the system's temp dir. */
export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), "artemotion-state-"));
}

/**
 * File stores, each in its own temp directory; teardown closes every store it
 * opened (the suite opens a new one per test) and deletes the directories.
 */
export function fileStoreFactory(opts: FileStoreOptions = {}): StoreFactory {
  const opened: { store: FileStore; dir: string }[] = [];
  return {
    name: "file",
    async open(config) {
      const dir = tempStateDir();
      const store = new FileStore(dir, storeConfig(config), { log: { warn: () => {} }, ...opts });
      opened.push({ store, dir });
      await store.open();
      return store;
    },
    async teardown() {
      for (const { store, dir } of opened.splice(0)) {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A Redis store on one private redis-server per test file (started on first
 * use), each store in a namespace of its own, as replicas of different mocks
 * would share one Redis.
 */
export function redisFactory(): StoreFactory {
  let server: Promise<RedisServer> | null = null;
  const opened: RedisStore[] = [];
  return {
    name: "redis",
    async open(config) {
      server ??= startRedisServer();
      const store = new RedisStore((await server).url, `test-${randomUUID().slice(0, 8)}`, storeConfig(config));
      await store.open();
      opened.push(store);
      return store;
    },
    async teardown() {
      await Promise.all(opened.splice(0).map((s) => s.close()));
      if (server) await (await server).stop();
      server = null;
    },
  };
}

/** The stores the behaviour suite proves. */
export const STORE_FACTORIES: StoreFactory[] = [memoryFactory, fileStoreFactory(), redisFactory()];
