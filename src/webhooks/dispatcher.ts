import http from "node:http";
import type { DeliveryRecord, DeliverySettlement } from "../domain/deliveries.js";
import type { Job } from "../domain/jobs.js";
import { OPEN_WEBHOOKS } from "../domain/webhook-policy.js";
import type { Store } from "../store/types.js";
import { isRefusal, WebhookDestinations } from "./destinations.js";
import { webhookPayload } from "./payload.js";
import { signWebhook } from "./signature.js";

export type Tamper = "signature" | "timestamp" | "body";
export const WEBHOOK_USER_AGENT = "ArtEmotion-Webhooks/1.0";

export interface DispatcherDeps {
  store: Store;
  timeoutMs: number;
  /** Wall clock: receivers check the signed timestamp against their own clock. */
  wallNow: () => number;
  replica: string;
  /** Where webhooks may go (--webhook-allow, or the default of the bind). */
  destinations?: WebhookDestinations;
}

/**
 * Sends webhooks off the request path: one attempt each, with a deadline,
 * recorded in the store's delivery log before it starts and settled after.
 * No retries, no redirects followed (the docs promise one attempt).
 */
export class WebhookDispatcher {
  #deps: DispatcherDeps;
  #inFlight = new Set<Promise<void>>();
  #requests = new Set<http.ClientRequest>();
  #destinations: WebhookDestinations;

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
    this.#destinations = deps.destinations ?? new WebhookDestinations(OPEN_WEBHOOKS);
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** The first delivery of a job that reached its terminal state at `at`. */
  deliver(job: Job, at: number): Promise<DeliveryRecord | null> {
    if (!job.webhook) return Promise.resolve(null);
    return this.#track(this.#send(job, JSON.stringify(webhookPayload(job, at)), null, null));
  }

  /** Sends again, always from the first delivery's body (never a tampered copy), re-signed now. */
  redeliver(original: DeliveryRecord, tamper: Tamper | null): Promise<DeliveryRecord> {
    return this.#track(this.#resend(original, tamper));
  }

  async #resend(original: DeliveryRecord, tamper: Tamper | null): Promise<DeliveryRecord> {
    const store = this.#deps.store;
    const job = await store.job(original.jobId);
    if (!job) throw new Error("job expired");
    const root = (original.redeliveryOf !== null && (await store.delivery(original.redeliveryOf))) || original;
    return this.#send(job, root.requestBody, root.id, tamper);
  }

  async #send(job: Job, body: string, redeliveryOf: string | null, tamper: Tamper | null): Promise<DeliveryRecord> {
    const webhook = job.webhook!;
    const event = (JSON.parse(body) as { status: string }).status === "failed" ? "job.failed" : "job.completed";
    let ts = Math.floor(this.#deps.wallNow() / 1000);
    if (tamper === "timestamp") ts -= 3600;
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "User-Agent": WEBHOOK_USER_AGENT,
      "X-ArtEmotion-Event": event,
      "X-ArtEmotion-Timestamp": String(ts),
    };
    if (webhook.secret !== null || tamper === "signature") {
      const sig = signWebhook(body, webhook.secret ?? "", ts);
      headers["X-ArtEmotion-Signature"] = tamper === "signature" ? sig.slice(0, -1) + (sig.endsWith("0") ? "1" : "0") : sig;
    }
    const sent = tamper === "body" ? body.replace(/"status":"(completed|failed)"/, '"status":"tampered"') : body;
    const store = this.#deps.store;
    const record = await store.addDelivery({
      jobId: job.id, key: job.key, url: webhook.url, event, redeliveryOf, tamper, requestHeaders: headers, requestBody: sent,
      startedAt: store.now(), outcome: "pending", responseStatus: null, error: null, durationMs: null, replica: this.#deps.replica,
    });
    const p = this.#post(record, sent)
      .then((s) => store.settleDelivery(record.id, s))
      .catch(() => {})
      .finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
    return { ...record };
  }

  /** Counts an attempt as in flight from the moment it is decided, before its record exists. */
  #track<T>(p: Promise<T>): Promise<T> {
    const settled = p.then(
      () => {},
      () => {},
    );
    this.#inFlight.add(settled);
    void settled.finally(() => this.#inFlight.delete(settled));
    return p;
  }

  #post(record: DeliveryRecord, body: string): Promise<DeliverySettlement> {
    const started = performance.now();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = (outcome: DeliverySettlement["outcome"], status: number | null, error: string | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ outcome, responseStatus: status, error, durationMs: Math.round(performance.now() - started) });
      };
      let req: http.ClientRequest;
      try {
        const url = new URL(record.url);
        // node:https (TLS) loads on the first https delivery, not at every start.
        const client = url.protocol === "https:" ? (process.getBuiltinModule("node:https") as typeof import("node:https")) : http;
        const destination = this.#destinations.requestOptions(url);
        if ("refused" in destination) return settle("refused", null, destination.refused);
        req = client.request(url, { method: "POST", headers: { ...record.requestHeaders, "Content-Length": String(Buffer.byteLength(body)) }, ...destination.options });
      } catch (e) {
        settle("connection_error", null, (e as Error).message);
        return;
      }
      this.#requests.add(req);
      // A deadline for the whole attempt (connect to response headers), not a socket idle
      // timeout: a receiver trickling bytes must not hold a delivery open past it.
      timer = setTimeout(() => {
        settle("timeout", null, `no response within ${this.#deps.timeoutMs} ms`);
        req.destroy();
      }, this.#deps.timeoutMs);
      req.on("response", (res) => {
        const s = res.statusCode ?? 0;
        settle(s >= 200 && s < 300 ? "delivered" : s >= 300 && s < 400 ? "redirect" : "http_error", s, null);
        res.resume();
      });
      req.on("error", (e) => settle(isRefusal(e) ? "refused" : "connection_error", null, e.message));
      req.on("close", () => {
        this.#requests.delete(req);
        settle("connection_error", null, "socket closed before a response");
      });
      req.end(body);
    });
  }

  /** Resolves once every delivery started so far (and any started meanwhile) has settled. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Waits for in-flight deliveries up to `ms`, then aborts the rest. */
  async drain(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.#inFlight]), new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    for (const req of this.#requests) req.destroy(new Error("server shutting down"));
  }
}
