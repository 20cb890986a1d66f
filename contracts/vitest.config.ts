import { defineConfig } from "vitest/config";

/**
 * The contract suite's own config. One thread, files in sequence: the client's
 * pacing, the credit ledger and the budget are shared state, and a live API's
 * rate limits are per key.
 */
export default defineConfig({
  test: {
    root: new URL(".", import.meta.url).pathname,
    include: ["**/*.contract.ts"],
    pool: "threads",
    poolOptions: { threads: { singleThread: true, isolate: false } },
    fileParallelism: false,
    sequence: { shuffle: false },
    // No results cache: it would be written under contracts/, inside an installed package.
    cache: false,
    testTimeout: 120_000,
    hookTimeout: 30_000,
  },
});
