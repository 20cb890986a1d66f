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

export const RATE_BUCKETS = Object.keys(RATE_LIMITS) as RateBucket[];

export function rateLimitError(bucket: RateBucket, retryAfterSeconds: number): ApiError {
  return new ApiError("RATE_LIMIT_EXCEEDED", `Rate limit exceeded. Max ${RATE_LIMITS[bucket]} requests per minute.`, {
    "Retry-After": String(retryAfterSeconds),
  });
}
