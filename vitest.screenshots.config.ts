import { defineConfig } from "vitest/config";

/** `npm run screenshots` only: scripts/screenshots.ts is not part of `npm test`. */
export default defineConfig({
  test: {
    include: ["scripts/screenshots.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
