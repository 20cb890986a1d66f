import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    // Installs redis-server when missing (as root), once, before the files that start private ones.
    globalSetup: ["test/setup/redis-install.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // @actions/workflow-parser imports its JSON schema without `with { type: "json" }`, which Node
    // refuses; transformed by vite instead of loaded by Node, it loads.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
