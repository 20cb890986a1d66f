import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    // Installs redis-server and chromium when missing (as root), once, before any file starts private ones.
    globalSetup: ["test/setup/redis-install.ts", "test/setup/chromium-install.ts"],
    // Vitest's default on 2 cores is one worker. Much of this suite waits (child processes,
    // Chromium, Redis, sockets), so two files at a time finish sooner without starving either.
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // @actions/workflow-parser imports its JSON schema without `with { type: "json" }`, which Node
    // refuses; transformed by vite instead of loaded by Node, it loads.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
