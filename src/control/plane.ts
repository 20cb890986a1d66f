import { ApiError } from "../domain/errors.js";
import type { DeliveryRecord } from "../domain/deliveries.js";
import { stateAt } from "../domain/lifecycle.js";
import { API_KEY_PATTERN, KEY_REF_PATTERN, keyRef, maskKey } from "../domain/keys.js";
import type { Job } from "../domain/jobs.js";
import { faultParams, type FaultName } from "../domain/faults.js";
import { REGISTRY_NAMES, registryEntry } from "../domain/registry.js";
import type { Armed, Phase, ScenarioName } from "../domain/scenarios.js";
import { FAULT_COUNTER, type ChaosPatch, type ChaosView, type FaultEngine } from "../faults/engine.js";
import { faultReport, type FaultReport } from "./fault-report.js";
import { journalEntry, type JournalEntry } from "../events/wire.js";
import type { AccountView, JobQuery, MaybePromise, RequestQuery, Store } from "../store/types.js";
import { andThen } from "../store/types.js";
import type { Tamper, WebhookDispatcher } from "../webhooks/dispatcher.js";
import { VERSION } from "../version.js";
import type { DueRunner } from "./due-runner.js";
import { scheduleOf, type ScheduledEvent } from "./schedule.js";

export interface ClockView {
  now: string;
  now_ms: number;
  frozen: boolean;
}

export interface JobSummary {
  job_id: string; key: string; key_ref: string; kind: string; model_id: string; status: string; scenario: string | null;
  created_at: string; processing_at: string; finished_at: string; expires_at: string; webhook_url: string | null;
}

export interface PlaneDeps {
  store: Store;
  dispatcher: WebhookDispatcher;
  due: DueRunner;
  faults: FaultEngine;
}

/** The longest single advance: 366 days, as the control API's schema allows. */
export const MAX_ADVANCE_MS = 366 * 24 * 3600 * 1000;

const iso = (ms: number) => new Date(ms).toISOString();
const clockView = (c: { now: number; frozen: boolean }): ClockView => ({ now: iso(c.now), now_ms: c.now, frozen: c.frozen });

/**
 * The control operations, once: the /__mock routes and createMockServer's
 * methods both call these. With the memory or file store every method
 * answers synchronously; with Redis each returns a promise. Keys come back
 * raw here (the caller already holds them); the HTTP routes mask them.
 */
export class ControlPlane {
  readonly #d: PlaneDeps;

  constructor(deps: PlaneDeps) {
    this.#d = deps;
  }

  health() {
    const s = this.#d.store;
    const h = s.health();
    return {
      status: h.status, version: VERSION, now: iso(s.now()),
      store: { kind: s.kind, status: h.status, ...(h.detail ? { detail: h.detail } : {}) }, replica: s.config.replica,
    };
  }

  reset(key?: string): MaybePromise<void> {
    return andThen(this.#d.store.reset(key), () => {
      this.#d.dispatcher.forget(key);
      this.#d.due.rearm();
    });
  }

  clock(): MaybePromise<ClockView> {
    return andThen(this.#d.store.clock(), clockView);
  }

  /** Moves virtual time forward and applies everything that fell due, in time order. */
  advance(ms: number): MaybePromise<ClockView> {
    // The route's bound; in process a fraction of a ms is fine, but a huge step would leave the clock past any valid Date.
    if (!(ms >= 0 && ms <= MAX_ADVANCE_MS)) throw new ApiError("INVALID_REQUEST", `Invalid ms ${ms}: must be a number from 0 to ${MAX_ADVANCE_MS} (366 days).`);
    return andThen(this.#d.store.advance(ms), (c) => this.#afterClock(c));
  }

  freeze(): MaybePromise<ClockView> {
    return andThen(this.#d.store.freeze(), (c) => this.#afterClock(c));
  }

  resume(): MaybePromise<ClockView> {
    return andThen(this.#d.store.resume(), (c) => this.#afterClock(c));
  }

  #afterClock(c: { now: number; frozen: boolean }): ClockView {
    if (this.#d.store.sync) this.#d.due.rearm();
    else void this.#d.due.run();
    return clockView(c);
  }

  /** Advances to the next scheduled moment (a job's transition, a webhook, an expiry); a no-op when nothing is scheduled. */
  async advanceToNext(): Promise<ClockView> {
    const { events } = await this.schedule(1);
    const now = (await this.#d.store.clock()).now;
    return this.advance(Math.max(0, (events[0]?.at_ms ?? now) - now));
  }

  /** The upcoming moments, soonest first, from the jobs' timelines. */
  async schedule(limit = 100): Promise<{ now_ms: number; events: ScheduledEvent[] }> {
    const store = this.#d.store;
    const now = (await store.clock()).now;
    const { jobs } = await store.jobs({ limit: 10_000 });
    return { now_ms: now, events: scheduleOf(jobs, now, limit, this.#d.dispatcher.delayed()) };
  }

  /** Accepts a full key or its key_ref, as shown in listings. */
  resolveKey(keyOrRef: string): MaybePromise<string> {
    if (API_KEY_PATTERN.test(keyOrRef)) return keyOrRef;
    if (KEY_REF_PATTERN.test(keyOrRef)) {
      return andThen(this.#d.store.keyForRef(keyOrRef), (k) => {
        if (k === undefined) throw new ApiError("NOT_FOUND", `No key known for ${keyOrRef}.`);
        return k;
      });
    }
    throw new ApiError("INVALID_REQUEST", `Invalid key "${keyOrRef}": must look like ae_test_xxxxxxxx (or a key_ref k_xxxxxxxxxxxx).`);
  }

  getAccount(key: string): MaybePromise<AccountView & { key_ref: string }> {
    return andThen(this.#d.store.account(key), (a) => {
      if (!a) throw new ApiError("NOT_FOUND", `No account for key ${maskKey(key)}.`);
      return { ...a, key_ref: keyRef(a.key) };
    });
  }

  accounts(): MaybePromise<(AccountView & { key_ref: string })[]> {
    return andThen(this.#d.store.accounts(), (list) => list.map((a) => ({ ...a, key_ref: keyRef(a.key) })));
  }

  setAccount(key: string, credits: number): MaybePromise<AccountView & { key_ref: string }> {
    if (!Number.isInteger(credits) || credits < 0) throw new ApiError("INVALID_REQUEST", `Invalid credits ${credits}: must be a non-negative integer.`);
    return andThen(this.#d.store.setAccount(key, credits), (a) => ({ ...a, key_ref: keyRef(a.key) }));
  }

  /** After this the key gets 401 until it is set again. */
  deleteAccount(key: string): MaybePromise<void> {
    return andThen(this.#d.store.deleteAccount(key), () => this.#d.dispatcher.forget(key));
  }

  /**
   * Arms a scenario or fault (either spelling) for the next `count` requests
   * of `key` at `phase` (default: its first phase), or of every key when null.
   */
  armScenario(scenario: ScenarioName | FaultName | string, key: string | null = null, count = 1, more: { phase?: Phase; params?: Record<string, string | number> | null } = {}): MaybePromise<Armed> {
    const entry = registryEntry(scenario);
    if (!entry) throw new ApiError("INVALID_REQUEST", `Unknown scenario "${scenario}": not a scenario or fault. Known: ${REGISTRY_NAMES.join(", ")}.`);
    if (!Number.isInteger(count) || count < 1) throw new ApiError("INVALID_REQUEST", `Invalid count ${count}: must be a positive integer.`);
    const phase = more.phase ?? entry.phases[0]!;
    if (!entry.phases.includes(phase)) throw new ApiError("INVALID_REQUEST", `${entry.name} cannot be armed for phase "${phase}": it applies to ${entry.phases.join(", ")}.`);
    const params = more.params && Object.keys(more.params).length > 0 ? more.params : null;
    if (params !== null) {
      if (entry.kind === "scenario") throw new ApiError("INVALID_REQUEST", `Scenario ${entry.name} takes no params.`);
      faultParams(entry.name as FaultName, params, "the arming");
    }
    return this.#d.store.arm({ scenario: entry.name, key, count, phase, params });
  }

  /** Seeded chaos as it runs now: rate, profile, seed, parameter overrides and every profile. */
  chaos(): ChaosView {
    return this.#d.faults.chaos();
  }

  setChaos(patch: ChaosPatch): ChaosView {
    return this.#d.faults.setChaos(patch);
  }

  /** Injected faults: counts by kind, phase and key, and the log of the ones still in the journal and delivery log. */
  async faults(limit = 1000): Promise<FaultReport & { chaos: { rate: number; profile: string; seed: number } }> {
    const s = this.#d.store;
    const [counters, requests, deliveries] = await Promise.all([s.counters(FAULT_COUNTER), s.requests({ limit, fault: "any" }), s.deliveries({})]);
    const { rate, profile, seed } = this.#d.faults.chaos();
    return { ...faultReport(counters, requests, deliveries), chaos: { rate, profile, seed } };
  }

  listScenarios(): MaybePromise<Armed[]> {
    return this.#d.store.armed();
  }

  disarm(filter: { id?: string; key?: string } = {}): MaybePromise<number> {
    return this.#d.store.disarm(filter);
  }

  /** Summaries of live jobs, newest first (all keys when `key` is undefined). */
  jobs(key?: string): MaybePromise<JobSummary[]> {
    return andThen(this.listJobs(key === undefined ? {} : { key }), (r) => r.jobs);
  }

  listJobs(q: JobQuery): MaybePromise<{ jobs: JobSummary[]; total: number }> {
    const store = this.#d.store;
    return andThen(store.jobs(q), (r) => ({ jobs: r.jobs.map((j) => summary(j, store.now())), total: r.total }));
  }

  webhooks(jobId?: string): MaybePromise<DeliveryRecord[]> {
    return this.#d.store.deliveries(jobId === undefined ? {} : { jobId });
  }

  /** Sends a delivery again; the dispatcher re-signs the first delivery's body, so tampering never carries over. */
  async redeliver(deliveryId: string, tamper: Tamper | null = null): Promise<DeliveryRecord> {
    const original = await this.#d.store.delivery(deliveryId);
    if (!original || !(await this.#d.store.job(original.jobId))) throw new ApiError("NOT_FOUND", `No delivery ${deliveryId} (or its job expired).`);
    return this.#d.dispatcher.redeliver(original, tamper);
  }

  /** Resolves when every delivery started so far has settled; handy in tests. */
  async webhooksSettled(): Promise<void> {
    await this.#d.due.run();
    await this.#d.due.idle();
    await this.#d.dispatcher.settled();
  }

  requests(limitOrQuery: number | RequestQuery = 100): MaybePromise<{ requests: JournalEntry[] }> {
    const q = typeof limitOrQuery === "number" ? { limit: limitOrQuery } : limitOrQuery;
    return andThen(this.#d.store.requests({ ...q, limit: Math.max(0, Math.floor(q.limit)) }), (list) => ({
      requests: list.map((e) => journalEntry(e.id, e.data as Parameters<typeof journalEntry>[1])),
    }));
  }

  /** The whole session as one JSON document, for bug reports. */
  async export() {
    const s = this.#d.store;
    const [clock, accounts, armed, jobs, deliveries, requests, faults] = await Promise.all([
      this.clock(), this.accounts(), this.listScenarios(), this.listJobs({}), this.webhooks(), this.requests(1_000_000), this.faults(0),
    ]);
    const { log: _log, ...faultCounts } = faults;
    return { exported_at: new Date().toISOString(), store: s.kind, clock, accounts, armed, jobs: jobs.jobs, deliveries, requests: requests.requests, faults: faultCounts };
  }
}

function summary(j: Job, now: number): JobSummary {
  return {
    job_id: j.id, key: maskKey(j.key), key_ref: keyRef(j.key), kind: j.kind, model_id: j.model.id, status: stateAt(j, now), scenario: j.scenario,
    created_at: iso(j.createdAt), processing_at: iso(j.processingAt), finished_at: iso(j.finishedAt), expires_at: iso(j.expiresAt),
    webhook_url: j.webhook?.url ?? null,
  };
}
