import type http from "node:http";
import type { DeliveryRecord } from "../domain/deliveries.js";
import type { Job } from "../domain/jobs.js";
import { OPEN_WEBHOOKS } from "../domain/webhook-policy.js";
import type { FaultEngine, Injection } from "../faults/engine.js";
import type { Store } from "../store/types.js";
import { WebhookDestinations } from "./destinations.js";
import { DelayedDeliveries } from "./delayed.js";
import { webhookPayload } from "./payload.js";
import { postWebhook } from "./post.js";
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
  /** Webhook-phase faults (delay, timeout, duplicate); none without it. */
  faults?: FaultEngine;
  /** Called when a webhook is held back (fault webhook_delay): its due moment must be armed. */
  onDelayed?: () => void;
}

/** A delivery as it goes out: its record, and the promise of its outcome. */
interface Started {
  record: DeliveryRecord;
  settled: Promise<void>;
}

/**
 * Sends webhooks off the request path: one attempt each, with a deadline,
 * recorded in the store's delivery log before it starts and settled after.
 * No retries, no redirects followed (the docs promise one attempt), unless a
 * webhook fault says otherwise.
 */
export class WebhookDispatcher {
  #deps: DispatcherDeps;
  #inFlight = new Set<Promise<void>>();
  #requests = new Set<http.ClientRequest>();
  /** Fault webhook_timeout's deadlines: each one's key, and what ends it early (recording the timeout, or not). */
  #timers = new Map<NodeJS.Timeout, { key: string; end: (record: boolean) => void }>();
  /** Set by drain(): nothing new starts once shutdown has begun. */
  #closing = false;
  #destinations: WebhookDestinations;
  #delayed = new DelayedDeliveries();

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
    const faults = this.#deps.faults;
    const body = JSON.stringify(webhookPayload(job, at));
    if (faults === undefined || (!faults.active && job.webhookFault === null)) return this.#track(this.#send(job, body, null, null));
    return this.#track(this.#deliverFaulted(job, at, body, faults));
  }

  /** Sends again, always from the first delivery's body (never a tampered copy), re-signed now. */
  redeliver(original: DeliveryRecord, tamper: Tamper | null): Promise<DeliveryRecord> {
    return this.#track(this.#resend(original, tamper));
  }

  /** The virtual moment the next delayed webhook (fault webhook_delay) falls due. */
  nextDelayedAt(): number | undefined {
    return this.#delayed.nextAt();
  }

  /** The delayed webhooks (fault webhook_delay), soonest first. */
  delayed(): readonly { at: number; job: Job }[] {
    return this.#delayed.entries();
  }

  /**
   * After a reset (of one key, or all) or a deleted key: webhooks still held
   * back by a fault are for jobs the mock no longer knows, so they never go.
   */
  forget(key?: string): void {
    this.#delayed.clear(key);
    for (const [t, pending] of this.#timers) {
      if (key !== undefined && pending.key !== key) continue;
      clearTimeout(t);
      this.#timers.delete(t);
      pending.end(false);
    }
  }

  /** Sends the delayed webhooks due at `now` (virtual time); the due runner calls it. */
  releaseDelayed(now: number): void {
    for (const d of this.#delayed.takeDue(now)) void this.#track(this.#send(d.job, d.body, null, null, "webhook_delay"));
  }

  async #deliverFaulted(job: Job, at: number, body: string, faults: FaultEngine): Promise<DeliveryRecord | null> {
    const inj = await faults.forWebhook(job.key, job.webhookFault);
    if (inj === null || inj.kind !== "fault") return this.#send(job, body, null, null);
    faults.count(inj, job.key);
    switch (inj.name) {
      case "webhook_delay":
        // Held here for a while of virtual time, maybe longer than the claim's lease: not abandoned.
        await Promise.resolve(this.#deps.store.releaseClaim(job.id)).catch(() => {});
        this.#delayed.add(at + (inj.params.ms ?? 30_000), { job, body });
        // Decided after an await: the due timer was set without this moment.
        this.#deps.onDelayed?.();
        return null;
      case "webhook_timeout":
        return this.#timeOut(job, body, inj);
      case "webhook_duplicate": {
        const headers = this.#headers(job, body, null);
        const first = await this.#start(job, headers, body, null, null, inj.name);
        void this.#track(first.settled.then(() => (this.#closing ? undefined : this.#start(job, headers, body, null, null, inj.name).then((s) => s.settled))));
        return { ...first.record };
      }
      default:
        return this.#send(job, body, null, null);
    }
  }

  /** Recorded as pending, then as a timeout once the deadline passes; nothing is sent. */
  async #timeOut(job: Job, body: string, inj: Injection): Promise<DeliveryRecord> {
    const store = this.#deps.store;
    const waitMs = inj.params.ms ?? this.#deps.timeoutMs;
    const record = await store.addDelivery(this.#newRecord(job, this.#headers(job, body, null), body, null, null, inj.name), waitMs);
    const settled = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve(true);
      }, waitMs);
      this.#timers.set(timer, { key: job.key, end: resolve });
    }).then((due) => {
      if (due) return store.settleDelivery(record.id, { outcome: "timeout", responseStatus: null, error: `no response within ${waitMs} ms (fault webhook_timeout: never sent)`, durationMs: waitMs });
    });
    this.#hold(settled);
    return { ...record };
  }

  async #resend(original: DeliveryRecord, tamper: Tamper | null): Promise<DeliveryRecord> {
    const store = this.#deps.store;
    const job = await store.job(original.jobId);
    if (!job) throw new Error("job expired");
    const root = (original.redeliveryOf !== null && (await store.delivery(original.redeliveryOf))) || original;
    return this.#send(job, root.requestBody, root.id, tamper);
  }

  async #send(job: Job, body: string, redeliveryOf: string | null, tamper: Tamper | null, fault: string | null = null): Promise<DeliveryRecord> {
    const started = await this.#start(job, this.#headers(job, body, tamper), body, redeliveryOf, tamper, fault);
    return { ...started.record };
  }

  #headers(job: Job, body: string, tamper: Tamper | null): Record<string, string> {
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
    return headers;
  }

  #newRecord(job: Job, headers: Record<string, string>, sent: string, redeliveryOf: string | null, tamper: Tamper | null, fault: string | null) {
    const event = headers["X-ArtEmotion-Event"] as DeliveryRecord["event"];
    return {
      jobId: job.id, key: job.key, url: job.webhook!.url, event, redeliveryOf, tamper, requestHeaders: headers, requestBody: sent,
      startedAt: this.#deps.store.now(), outcome: "pending" as const, responseStatus: null, error: null, durationMs: null, replica: this.#deps.replica,
      ...(fault === null ? {} : { fault }),
    };
  }

  async #start(job: Job, headers: Record<string, string>, body: string, redeliveryOf: string | null, tamper: Tamper | null, fault: string | null): Promise<Started> {
    const sent = tamper === "body" ? body.replace(/"status":"(completed|failed)"/, '"status":"tampered"') : body;
    const store = this.#deps.store;
    const record = await store.addDelivery(this.#newRecord(job, headers, sent, redeliveryOf, tamper, fault));
    const settled = postWebhook(record, sent, { timeoutMs: this.#deps.timeoutMs, destinations: this.#destinations, requests: this.#requests })
      .then((s) => store.settleDelivery(record.id, s))
      .catch(() => {});
    this.#hold(settled);
    return { record, settled };
  }

  /** Keeps a settling promise in flight until it is done. */
  #hold(p: Promise<unknown>): void {
    const held: Promise<void> = p.then(
      () => {},
      () => {},
    ).finally(() => this.#inFlight.delete(held));
    this.#inFlight.add(held);
  }

  /** Counts an attempt as in flight from the moment it is decided, before its record exists. */
  #track<T>(p: Promise<T>): Promise<T> {
    this.#hold(p);
    return p;
  }

  /** Resolves once every delivery started so far (and any started meanwhile) has settled. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Waits for in-flight deliveries up to `ms`, then aborts the rest (and forgets delayed ones). */
  async drain(ms: number): Promise<void> {
    this.#closing = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.#inFlight]), new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    for (const [t, pending] of this.#timers) {
      clearTimeout(t);
      pending.end(true);
    }
    this.#timers.clear();
    this.#delayed.clear();
    for (const req of this.#requests) req.destroy(new Error("server shutting down"));
  }
}
