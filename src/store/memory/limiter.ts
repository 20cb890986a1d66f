import { RATE_BUCKETS, RATE_LIMITS, RATE_WINDOW_MS, type RateBucket } from "../../domain/rate-limits.js";
import { rateLimited } from "../../domain/submit-flow.js";

/**
 * Sliding one-minute window per key and bucket, in virtual time: an exact log
 * of accepted requests. A window that has emptied is dropped: when its key
 * calls again, or by a sweep at most once a window length, so keys that
 * stopped calling cost nothing for long.
 */
export class RateLimiter {
  #hits = new Map<string, number[]>();
  #sweptAt = -Infinity;
  readonly enabled: boolean;

  constructor(enabled: boolean) {
    this.enabled = enabled;
  }

  /** Throws RATE_LIMIT_EXCEEDED (with Retry-After) when the bucket is full; records nothing. */
  check(key: string, bucket: RateBucket, now: number): void {
    if (!this.enabled) return;
    const hits = this.#live(key, bucket, now);
    if (hits !== undefined && hits.length >= RATE_LIMITS[bucket]) throw rateLimited(bucket, hits[0]!, now);
  }

  record(key: string, bucket: RateBucket, now: number): void {
    if (!this.enabled) return;
    if (now - this.#sweptAt >= RATE_WINDOW_MS) this.#sweep(now);
    const hits = this.#live(key, bucket, now);
    if (hits) hits.push(now);
    else this.#hits.set(`${bucket}\u0000${key}`, [now]);
  }

  used(key: string, bucket: RateBucket, now: number): number {
    return this.#live(key, bucket, now)?.length ?? 0;
  }

  usage(key: string, now: number): Record<RateBucket, number> {
    return Object.fromEntries(RATE_BUCKETS.map((b) => [b, this.used(key, b, now)])) as Record<RateBucket, number>;
  }

  get windows(): number {
    return this.#hits.size;
  }

  reset(key?: string): void {
    if (key === undefined) this.#hits.clear();
    else for (const b of RATE_BUCKETS) this.#hits.delete(`${b}\u0000${key}`);
  }

  /** Every window older than one window length is empty: O(windows), once a minute of virtual time at most. */
  #sweep(now: number): void {
    this.#sweptAt = now;
    for (const [id, hits] of this.#hits) if (hits[hits.length - 1]! <= now - RATE_WINDOW_MS) this.#hits.delete(id);
  }

  #live(key: string, bucket: RateBucket, now: number): number[] | undefined {
    const id = `${bucket}\u0000${key}`;
    const hits = this.#hits.get(id);
    if (!hits) return undefined;
    let drop = 0;
    while (drop < hits.length && hits[drop]! <= now - RATE_WINDOW_MS) drop++;
    if (drop > 0) hits.splice(0, drop);
    if (hits.length === 0) {
      this.#hits.delete(id);
      return undefined;
    }
    return hits;
  }
}
