import { RATE_LIMITS, RATE_WINDOW_MS, type RateBucket } from "../../src/domain/rate-limits.js";

/** The documented rate-limit bucket of a request, if any. */
export function bucketOf(method: string, apiPath: string): RateBucket | null {
  const m = method.toUpperCase();
  if (m === "POST" && apiPath === "/tryon") return "tryon";
  if (m === "POST" && apiPath === "/vision") return "vision";
  if (m === "POST" && apiPath === "/generate") return "generate";
  if (m === "GET" && apiPath.startsWith("/jobs/")) return "poll";
  return null;
}

/**
 * Client-side pacing a little under the documented limits, so the suite never
 * provokes a 429 it did not ask for. Sliding window per key and bucket.
 */
export class Pacer {
  #sent = new Map<string, number[]>();

  async waitTurn(id: string, bucket: RateBucket): Promise<void> {
    const limit = Math.max(1, RATE_LIMITS[bucket] - 1);
    for (;;) {
      const now = Date.now();
      const sent = (this.#sent.get(id) ?? []).filter((t) => t > now - RATE_WINDOW_MS);
      if (sent.length < limit) {
        sent.push(now);
        this.#sent.set(id, sent);
        return;
      }
      await new Promise((r) => setTimeout(r, sent[0]! + RATE_WINDOW_MS - now + 50));
    }
  }
}
