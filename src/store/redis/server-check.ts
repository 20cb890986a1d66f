import type { RedisClientType } from "redis";

const MIN_VERSION = [6, 2];

/**
 * What the mock needs of the Redis it shares, checked at start: a version
 * with exclusive XRANGE bounds (6.2), and what an operator should hear about:
 * an eviction policy other than noeviction would let Redis drop accounts,
 * jobs or the clock under memory pressure.
 */
export async function checkServer(client: RedisClientType, shownUrl: string): Promise<string[]> {
  const warnings: string[] = [];
  const info = String(await client.info("server"));
  const version = /redis_version:(\d+)\.(\d+)/.exec(info);
  if (version) {
    const [major, minor] = [Number(version[1]), Number(version[2])];
    if (major < MIN_VERSION[0]! || (major === MIN_VERSION[0] && minor < MIN_VERSION[1]!)) {
      throw new Error(`Redis at ${shownUrl} is version ${major}.${minor}; the mock needs ${MIN_VERSION.join(".")} or later`);
    }
  }
  try {
    const policy = (await client.configGet("maxmemory-policy"))["maxmemory-policy"];
    if (policy !== undefined && policy !== "noeviction") {
      warnings.push(`Redis at ${shownUrl} has maxmemory-policy ${policy}: when it runs out of memory it may evict the mock's keys (balances, jobs, the clock). Set maxmemory-policy noeviction.`);
    }
  } catch {
    warnings.push(`could not read maxmemory-policy from Redis at ${shownUrl} (CONFIG is disabled?); make sure it is noeviction, or Redis may evict the mock's keys.`);
  }
  return warnings;
}
