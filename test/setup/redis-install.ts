import { ensureRedisServer } from "../../scripts/redis-server.mjs";

/**
 * Once per test run, before any test file starts: makes sure Debian's
 * redis-server is here, installing it as root when missing (so no two test
 * files race on apt-get). Without root it fails naming the command to run;
 * a missing Redis is never a skip, under CI=true or not.
 */
export default function setup(): void {
  const path = ensureRedisServer((s) => console.error(`[redis] ${s}`));
  if (process.env.CI === "true") console.error(`[redis] using ${path}`);
}
