import type { DueDelivery, Store } from "../store/types.js";
import type { WebhookDispatcher } from "../webhooks/dispatcher.js";

/** How often a replica on a shared store looks for due work, and for deliveries whose sender died. */
const SHARED_POLL_MS = 250;
/** Every 4 looks (1 s): an abandoned delivery is recorded within a second of its lease. */
const SWEEP_EVERY = 4;
const CLAIM_BATCH = 100;

/**
 * Applies what fell due on the virtual clock: expiry, and webhooks sent by
 * the dispatcher. One timer per server, never one per job. In memory it sleeps
 * until the next due moment; on a shared store other replicas move the clock
 * and add jobs, so it also looks every 250 ms.
 */
export class DueRunner {
  #store: Store;
  #dispatcher: WebhookDispatcher;
  #timer: NodeJS.Timeout | undefined;
  #armedFor: number | undefined;
  #firesAt: number | undefined;
  #stopped = false;
  #running: Promise<void> | null = null;
  #ticks = 0;
  #shared: NodeJS.Timeout | undefined;

  constructor(store: Store, dispatcher: WebhookDispatcher) {
    this.#store = store;
    this.#dispatcher = dispatcher;
    if (!store.sync) {
      this.#shared = setInterval(() => void this.run().catch(() => {}), SHARED_POLL_MS);
      this.#shared.unref();
    }
  }

  /** Claims and handles everything due now; resolves when the deliveries are started. */
  run(): Promise<void> {
    if (this.#store.sync) {
      this.#claimNow();
      return Promise.resolve();
    }
    // One claim at a time per process; a second call waits for the first.
    this.#running ??= this.#claim().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Resolves when the claim in progress (if any) has handed its deliveries to the dispatcher. */
  idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  /** A synchronous store answers at once, so its due work is done before the caller goes on. */
  #claimNow(): void {
    for (;;) {
      const due = this.#store.claimDue(CLAIM_BATCH) as DueDelivery[];
      for (const d of due) void this.#dispatcher.deliver(d.job, d.at);
      if (due.length < CLAIM_BATCH) break;
    }
    this.#dispatcher.releaseDelayed(this.#store.now());
  }

  async #claim(): Promise<void> {
    for (;;) {
      const due = await this.#store.claimDue(CLAIM_BATCH);
      // A delivery whose record cannot be written (the shared store went away) is not sent; its claim's lease records it abandoned.
      for (const d of due) this.#dispatcher.deliver(d.job, d.at).catch(() => {});
      if (due.length < CLAIM_BATCH) break;
    }
    this.#dispatcher.releaseDelayed(this.#store.now());
    if (++this.#ticks % SWEEP_EVERY === 0) await this.#store.sweepAbandoned();
  }

  /**
   * After every request and control call (memory and file stores): applies
   * what is due now, even on a frozen clock (an instant job's webhook goes
   * during its submit), then re-arms the timer for the next due moment.
   */
  poke(): void {
    if (this.#stopped || !this.#store.sync) return;
    let next = this.#nextDueAt();
    // The request path's common case: nothing due yet and the timer already set for it. The
    // clock only moves through control calls, which re-arm through the full path below.
    if (next !== undefined && next === this.#armedFor && this.#timer !== undefined && this.#firesAt! > performance.now() + 2) return;
    const now = this.#store.now();
    if (next !== undefined && next <= now) {
      this.#claimNow();
      next = this.#nextDueAt();
    }
    if (next === undefined || (this.#store.clock() as { frozen: boolean }).frozen) return this.#clear();
    // setTimeout caps at 2^31-1 ms; a longer wait just re-arms.
    const delay = Math.min(Math.max(0, next - now), 2 ** 31 - 1);
    const firesAt = performance.now() + delay;
    // Same event and not due sooner: keep the timer. Advancing a running clock
    // brings the event closer in real time, so the timer must be re-armed.
    if (this.#armedFor === next && this.#timer && this.#firesAt !== undefined && firesAt >= this.#firesAt - 2) return;
    this.#clear();
    this.#armedFor = next;
    this.#firesAt = firesAt;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#armedFor = undefined;
      this.#firesAt = undefined;
      this.poke();
    }, delay);
    this.#timer.unref();
  }

  /** After the clock moved or state was reset: the armed timer may be for the wrong moment. */
  rearm(): void {
    this.#clear();
    this.poke();
  }

  /** The store's next due moment, or a delayed webhook's (fault webhook_delay) when sooner. */
  #nextDueAt(): number | undefined {
    const stored = this.#store.nextDueAt() as number | undefined;
    const delayed = this.#dispatcher.nextDelayedAt();
    return stored === undefined ? delayed : delayed === undefined ? stored : Math.min(stored, delayed);
  }

  stop(): void {
    this.#stopped = true;
    this.#clear();
    clearInterval(this.#shared);
  }

  #clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = undefined;
    this.#firesAt = undefined;
  }
}
