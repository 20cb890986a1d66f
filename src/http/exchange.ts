import { createHash, hash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FaultName } from "../domain/faults.js";
import type { RequestEventData } from "../events/types.js";
import type { Injection } from "../faults/engine.js";
import { keyIfAny } from "./context.js";

/**
 * One request as it goes through the public handler: what the journal, the
 * log line and the doctor will want to know about it, filled in as the
 * handler learns it. A class, so every exchange has the same shape.
 */
export class Exchange {
  readonly started = performance.now();
  /** Relative to the mock: /api/v1/…, also when a user's Express app mounts it under a path. */
  path = "";
  /** That user's mount path ("/mock"), or "" at the root; poll_url and result URLs keep it. */
  mount = "";
  query = "";
  key: string | null = null;
  operation: string | null = null;
  jobId: string | null = null;
  modelId: string | null = null;
  jobStatus: string | null = null;
  errorCode: string | null = null;
  errorMessage: string | null = null;
  retryAfter: number | null = null;
  bodyHash: string | null = null;
  creditsUsed: number | null = null;
  scenario: string | null = null;
  fault: string | null = null;
  responseLost = false;
  /** No response at all was sent (a reset or an empty reply before processing): journaled as status 0. */
  noResponse = false;
  recorded = false;
  /** The fault this request meets, once decided (null on the hot path). */
  plan: Injection | null = null;
  /** A fault named by a magic image host in the submit body. */
  magicFault: FaultName | null = null;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    /** Wall-clock ms at arrival, from the options' clock (tests inject one to drive client timing). */
    readonly wallMs: number,
  ) {}

  /** The request event, once the answer is written (or cut). */
  toEvent(timeMs: number, replica: string): RequestEventData {
    const req = this.req;
    return {
      time_ms: timeMs, wall_ms: this.wallMs, method: req.method ?? "GET", path: this.path, query: this.query,
      host: req.headers.host ?? null, status: this.noResponse ? 0 : this.res.statusCode, key: this.key ?? keyIfAny(req), operation: this.operation,
      job_id: this.jobId, model_id: this.modelId, job_status: this.jobStatus, error_code: this.errorCode, error_message: this.errorMessage,
      retry_after_s: this.retryAfter, body_hash: this.bodyHash, credits_used: this.creditsUsed, scenario: this.scenario,
      fault: this.fault, response_lost: this.responseLost, duration_ms: Math.round((performance.now() - this.started) * 100) / 100, replica,
    };
  }
}

const WHOLE_BODY_HASH_LIMIT = 1 << 20;

/**
 * A short hash of a request body, to tell an identical resubmit. Bodies over
 * 1 MiB (images as data URLs) are hashed by length, head and tail: hashing
 * 28 MB would cost more than answering.
 */
export function bodyHash(raw: Buffer): string {
  if (raw.length <= WHOLE_BODY_HASH_LIMIT) return hash("sha1", raw, "base64url").slice(0, 16);
  const h = createHash("sha1");
  h.update(String(raw.length)).update(raw.subarray(0, 65536)).update(raw.subarray(raw.length - 65536));
  return h.digest("base64url").slice(0, 16);
}
