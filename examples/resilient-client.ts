/**
 * An ArtEmotion client that survives a bad network (try it against
 * `artemotion-mock serve --chaos 0.2 --chaos-profile flaky-network`):
 *
 * - every request has a deadline; failures are retried with exponential
 *   backoff and full jitter, 429s after their Retry-After;
 * - a submit is not idempotent, so when its answer is lost (a reset, an empty
 *   reply, a timeout, a garbled body) it is ambiguous: the job may exist and
 *   be charged. The client tags each logical request with a `ref` in its
 *   webhook_url and waits for that ref's webhook before it resubmits; if the
 *   webhook names a job, it adopts it instead of paying twice;
 * - it reconciles by polling: every job it knows of, adopted or found late in
 *   the inbox, is polled until terminal, and any logical request that still
 *   ended up with two jobs is reported.
 *
 * Only fetch and node built-ins.
 */
import { randomUUID } from "node:crypto";
import type { WebhookInbox } from "./webhook-inbox.js";

export interface ResilientClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Receives webhooks; without it a lost submit can only be resubmitted blind. */
  inbox?: WebhookInbox;
  requestTimeoutMs?: number;
  maxAttempts?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** The docs' polling: start at 3 s, ×1.2, at most 10 s; give up after the deadline. */
  poll?: { firstMs: number; factor: number; maxMs: number; deadlineMs: number };
  /** How long an ambiguous submit waits for its webhook before resubmitting. */
  adoptWaitMs?: number;
  /** How long the run waits at the end for late webhooks, to find jobs of answers lost then resubmitted. */
  reconcileWaitMs?: number;
  random?: () => number;
}

export interface SubmitRequest {
  path: "/tryon" | "/vision" | "/generate";
  body: Record<string, unknown>;
}

export interface JobOutcome {
  ref: string;
  jobId: string;
  modelId: string;
  status: "completed" | "failed";
  /** Submits sent for this logical request. */
  submits: number;
  /** Learned from the webhook after a submit whose answer was lost. */
  adopted: boolean;
}

export interface RunReport {
  outcomes: JobOutcome[];
  /** Logical requests that were charged more than once (a lost answer, then a resubmit before its webhook came). */
  duplicates: { ref: string; jobIds: string[] }[];
  retries: number;
  /** Requests whose outcome the client could not know (the job may or may not exist). */
  ambiguous: number;
  errors: string[];
}

type Answer = { kind: "answer"; status: number; json: any; headers: Headers } | { kind: "lost"; why: string };

const TERMINAL = new Set(["completed", "failed"]);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ResilientClient {
  readonly #o: Required<Omit<ResilientClientOptions, "inbox">> & { inbox?: WebhookInbox };
  #retries = 0;
  #ambiguous = 0;

  constructor(options: ResilientClientOptions) {
    this.#o = {
      requestTimeoutMs: 10_000, maxAttempts: 8, backoff: { baseMs: 250, maxMs: 8_000 },
      poll: { firstMs: 3_000, factor: 1.2, maxMs: 10_000, deadlineMs: 600_000 }, adoptWaitMs: 20_000, reconcileWaitMs: 15_000, random: Math.random, ...options,
    };
  }

  /** Full jitter: anywhere from 0 to the exponential cap, so retrying clients do not move in step. */
  #backoff(attempt: number): number {
    const { baseMs, maxMs } = this.#o.backoff;
    return Math.floor(this.#o.random() * Math.min(maxMs, baseMs * 2 ** attempt));
  }

  /** One HTTP exchange with a deadline; anything short of a complete, parsable answer is "lost". */
  async #request(method: string, url: string, body?: unknown): Promise<Answer> {
    try {
      const res = await fetch(url, {
        method, signal: AbortSignal.timeout(this.#o.requestTimeoutMs),
        headers: { Authorization: `Bearer ${this.#o.apiKey}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      try {
        return { kind: "answer", status: res.status, json: JSON.parse(text), headers: res.headers };
      } catch {
        return { kind: "lost", why: `unparsable ${res.status} body` };
      }
    } catch (e) {
      return { kind: "lost", why: (e as Error).message };
    }
  }

  /** Submits once per logical request as far as the network allows; returns the job, adopted or new. */
  async submit(req: SubmitRequest, ref = randomUUID()): Promise<{ ref: string; jobId: string; modelId: string; submits: number; adopted: boolean }> {
    const inbox = this.#o.inbox;
    const body = inbox ? { ...req.body, webhook_url: inbox.urlFor(ref), webhook_secret: inbox.secret } : req.body;
    for (let attempt = 0; attempt < this.#o.maxAttempts; attempt++) {
      if (attempt > 0) this.#retries++;
      const r = await this.#request("POST", this.#o.baseUrl + req.path, body);
      if (r.kind === "answer") {
        if (r.status === 202 && typeof r.json?.job_id === "string") return { ref, jobId: r.json.job_id, modelId: r.json.model_id, submits: attempt + 1, adopted: false };
        const code = r.json?.code;
        // Answered refusals charge nothing (a 502 SUBMISSION_ERROR is refunded): safe to send again.
        if (code === "RATE_LIMIT_EXCEEDED") {
          await sleep(Number(r.headers.get("retry-after") ?? 1) * 1000 + this.#backoff(0));
          continue;
        }
        if (code === "SUBMISSION_ERROR") {
          await sleep(this.#backoff(attempt));
          continue;
        }
        if (r.status < 500) throw new Error(`submit refused: ${r.status} ${code}: ${r.json?.error}`);
      }
      // Ambiguous: the job may exist. Its webhook says so; only silence justifies a resubmit.
      this.#ambiguous++;
      const event = inbox ? await inbox.waitFor(ref, this.#o.adoptWaitMs) : null;
      if (event) return { ref, jobId: event.request_id, modelId: event.model_id, submits: attempt + 1, adopted: true };
      await sleep(this.#backoff(attempt));
    }
    throw new Error(`submit gave up after ${this.#o.maxAttempts} attempts`);
  }

  /** Polls until the job is terminal, riding out resets, 404s from a lagging replica, 429s and 502s. */
  async waitForTerminal(jobId: string, modelId: string): Promise<{ status: "completed" | "failed"; body: unknown }> {
    const url = `${this.#o.baseUrl}/jobs/${encodeURIComponent(jobId)}?model_id=${encodeURIComponent(modelId)}`;
    const { firstMs, factor, maxMs, deadlineMs } = this.#o.poll;
    const deadline = Date.now() + deadlineMs;
    let interval = firstMs;
    let misses = 0;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const r = await this.#request("GET", url);
      if (r.kind === "answer" && r.status === 200 && TERMINAL.has(r.json?.status)) return { status: r.json.status, body: r.json };
      if (r.kind === "answer" && r.status === 200) {
        await sleep(interval);
        interval = Math.min(maxMs, interval * factor);
        continue;
      }
      this.#retries++;
      if (r.kind === "answer" && r.status === 429) await sleep(Number(r.headers.get("retry-after") ?? 1) * 1000);
      else if (r.kind === "answer" && r.status === 404 && ++misses > 10) throw new Error(`job ${jobId} not found`);
      else if (r.kind === "answer" && r.status < 500 && r.status !== 404) throw new Error(`poll refused: ${r.status} ${r.json?.code}`);
      else await sleep(this.#backoff(Math.min(attempt, 6)));
    }
    throw new Error(`job ${jobId} not terminal after ${deadlineMs} ms`);
  }

  /** Runs every request to a terminal job, `concurrency` at a time, then reconciles with the inbox. */
  async run(requests: SubmitRequest[], concurrency = 10): Promise<RunReport> {
    const outcomes: JobOutcome[] = [];
    const errors: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const req = requests[next++]!;
        try {
          const s = await this.submit(req);
          const done = await this.waitForTerminal(s.jobId, s.modelId);
          outcomes.push({ ...s, status: done.status });
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { outcomes, duplicates: await this.#reconcile(outcomes, errors), retries: this.#retries, ambiguous: this.#ambiguous, errors };
  }

  /** Jobs the inbox heard of that the run did not end with: a lost answer that was resubmitted. Polled to the end, and reported. */
  async #reconcile(outcomes: JobOutcome[], errors: string[]): Promise<RunReport["duplicates"]> {
    const inbox = this.#o.inbox;
    if (!inbox) return [];
    // Webhooks of jobs that finished just now may still be on their way.
    await sleep(this.#o.reconcileWaitMs);
    const duplicates: RunReport["duplicates"] = [];
    for (const o of outcomes) {
      const extra = inbox.eventsFor(o.ref).filter((e) => e.request_id !== o.jobId);
      if (extra.length === 0) continue;
      for (const e of extra) await this.waitForTerminal(e.request_id, e.model_id).catch((err: Error) => errors.push(err.message));
      duplicates.push({ ref: o.ref, jobIds: [o.jobId, ...extra.map((e) => e.request_id)] });
    }
    return duplicates;
  }
}
