import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Installs redis-server when missing (as root), once, before the files that start private ones.
    globalSetup: ["test/setup/redis-install.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
