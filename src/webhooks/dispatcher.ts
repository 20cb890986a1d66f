import http from "node:http";
import https from "node:https";
import type { DeliveryRecord } from "../domain/deliveries.js";
import type { Job } from "../domain/jobs.js";
import type { MockService } from "../domain/service.js";
import { OPEN_WEBHOOKS } from "../domain/webhook-policy.js";
import { isRefusal, WebhookDestinations } from "./destinations.js";
import { webhookPayload } from "./payload.js";
import { signWebhook } from "./signature.js";

export type Tamper = "signature" | "timestamp" | "body";
export const WEBHOOK_USER_AGENT = "ArtEmotion-Webhooks/1.0";

/**
 * Sends webhooks off the request path: each delivery is a fire-and-forget
 * request with a timeout, recorded in the service's delivery log. No retries,
 * no redirects followed.
 */
export class WebhookDispatcher {
  #service: MockService;
  #timeoutMs: number;
  #inFlight = new Set<Promise<void>>();
  #requests = new Set<http.ClientRequest>();
  #destinations: WebhookDestinations;

  constructor(service: MockService, timeoutMs: number, destinations = new WebhookDestinations(OPEN_WEBHOOKS)) {
    this.#service = service;
    this.#timeoutMs = timeoutMs;
    this.#destinations = destinations;
    service.onTerminal = (job, at) => void this.deliver(job, at);
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  deliver(job: Job, at: number): DeliveryRecord | null {
    if (!job.webhook) return null;
    const body = JSON.stringify(webhookPayload(job, at));
    return this.#send(job, body, null, null);
  }

  redeliver(original: DeliveryRecord, tamper: Tamper | null): DeliveryRecord {
    const job = this.#service.jobs.get(original.jobId);
    if (!job) throw new Error("job expired");
    // Always from the first delivery (never a tampered copy); redeliveryOf names it, so chains stay one deep.
    const root = (original.redeliveryOf !== null && this.#service.deliveries.get(original.redeliveryOf)) || original;
    return this.#send(job, root.requestBody, root.id, tamper);
  }

  #send(job: Job, body: string, redeliveryOf: string | null, tamper: Tamper | null): DeliveryRecord {
    const webhook = job.webhook!;
    const event = JSON.parse(body).status === "failed" ? "job.failed" : "job.completed";
    // Wall-clock seconds: receivers check a 5-minute window against their own clock.
    let ts = Math.floor(this.#service.clock.wallNow() / 1000);
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
    const record: DeliveryRecord = {
      id: this.#service.deliveries.nextId(), jobId: job.id, key: job.key, url: webhook.url, event,
      redeliveryOf, tamper, requestHeaders: headers, requestBody: sent, startedAt: this.#service.now(),
      outcome: "pending", responseStatus: null, error: null, durationMs: null,
    };
    this.#service.deliveries.add(record);
    const p = this.#post(record, sent).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
    return record;
  }

  #post(record: DeliveryRecord, body: string): Promise<void> {
    const started = performance.now();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (outcome: DeliveryRecord["outcome"], status: number | null, error: string | null) => {
        if (record.outcome !== "pending") return;
        clearTimeout(timer);
        Object.assign(record, { outcome, responseStatus: status, error, durationMs: Math.round(performance.now() - started) });
        resolve();
      };
      let req: http.ClientRequest;
      try {
        const url = new URL(record.url);
        const client = url.protocol === "https:" ? https : http;
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
        settle("timeout", null, `no response within ${this.#timeoutMs} ms`);
        req.destroy();
      }, this.#timeoutMs);
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
