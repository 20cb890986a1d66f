import { ApiError } from "./errors.js";

export type RateBucket = "tryon" | "vision" | "generate" | "poll";

/** Requests per key per minute. /generate shares nothing with /tryon and gets try-on's limit (our decision). */
export const RATE_LIMITS: Readonly<Record<RateBucket, number>> = {
  tryon: 10,
  vision: 20,
  generate: 10,
  poll: 120,
};

export const RATE_WINDOW_MS = 60_000;

/**
 * Sliding one-minute window per key and bucket, in virtual time. Only
 * accepted requests are recorded, so a rejected request never uses up quota.
 */
export class RateLimiter {
  #hits = new Map<string, number[]>();
  readonly enabled: boolean;

  constructor(enabled: boolean) {
    this.enabled = enabled;
  }

  /** Throws RATE_LIMIT_EXCEEDED (with Retry-After) when the bucket is full; records nothing. */
  check(key: string, bucket: RateBucket, now: number): void {
    if (!this.enabled) return;
    const hits = this.#live(key, bucket, now);
    const limit = RATE_LIMITS[bucket];
    if (hits.length >= limit) {
      const retryAfter = Math.max(1, Math.ceil((hits[0]! + RATE_WINDOW_MS - now) / 1000));
      throw rateLimitError(bucket, retryAfter);
    }
  }

  record(key: string, bucket: RateBucket, now: number): void {
    if (!this.enabled) return;
    const id = `${bucket}\u0000${key}`;
    const hits = this.#live(key, bucket, now);
    hits.push(now);
    this.#hits.set(id, hits);
  }

  used(key: string, bucket: RateBucket, now: number): number {
    return this.#live(key, bucket, now).length;
  }

  reset(key?: string): void {
    if (key === undefined) this.#hits.clear();
    else for (const b of Object.keys(RATE_LIMITS)) this.#hits.delete(`${b}\u0000${key}`);
  }

  #live(key: string, bucket: RateBucket, now: number): number[] {
    const id = `${bucket}\u0000${key}`;
    const hits = this.#hits.get(id);
    if (!hits) return [];
    let drop = 0;
    while (drop < hits.length && hits[drop]! <= now - RATE_WINDOW_MS) drop++;
    if (drop > 0) hits.splice(0, drop);
    if (hits.length === 0) this.#hits.delete(id);
    return hits;
  }
}

export function rateLimitError(bucket: RateBucket, retryAfterSeconds: number): ApiError {
  return new ApiError("RATE_LIMIT_EXCEEDED", `Rate limit exceeded. Max ${RATE_LIMITS[bucket]} requests per minute.`, {
    "Retry-After": String(retryAfterSeconds),
  });
}
