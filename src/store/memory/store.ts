import type { DeliveryRecord, DeliverySettlement, NewDelivery } from "../../domain/deliveries.js";
import { VirtualClock } from "../../domain/clock.js";
import { jobEventData, jobToData, type Job } from "../../domain/jobs.js";
import { stateAt } from "../../domain/lifecycle.js";
import { createIdSource } from "../../domain/random.js";
import { rateLimitError } from "../../domain/rate-limits.js";
import type { Armed, ArmInput, DisarmFilter, Phase, ScenarioName } from "../../domain/scenarios.js";
import {
  REFUNDED_SCENARIO, armableFor, beforeChargeError, hiddenJob, insufficientCredits, jobNotFound, newJob, statusError, submissionError,
} from "../../domain/submit-flow.js";
import { keyRef } from "../../domain/keys.js";
import { MemoryEventBus } from "../../events/bus.js";
import { Ring } from "../../events/ring.js";
import type { MockEvent, RequestEventData, StreamEvent } from "../../events/types.js";
import type { AccountView, ClockState, DueDelivery, JobQuery, PollCommand, PollResult, RequestQuery, Store, StoreConfig, StoreHealth, SubmitCommand, SubmitResult } from "../types.js";
import { Accounts } from "./accounts.js";
import { ArmedScenarios } from "./armed.js";
import type { Change } from "./changes.js";
import { DeliveryLog } from "./deliveries.js";
import { EventQueue } from "./event-queue.js";
import { JobIndex } from "./job-index.js";
import { RateLimiter } from "./limiter.js";
import { matchesRequest } from "../request-filter.js";

type DueEvent = { type: "terminal" | "expire"; jobId: string };

/**
 * All state in this process, answered synchronously: the embedded default.
 * JavaScript runs each operation without interleaving, so a check and its
 * change (credits, rate windows, armings) are atomic without locks.
 */
export class MemoryStore implements Store {
  readonly kind: "memory" | "file" = "memory";
  readonly sync = true;
  readonly config: Readonly<StoreConfig>;
  readonly events: MemoryEventBus;
  readonly clockState: VirtualClock;
  readonly accountsById: Accounts;
  readonly jobIndex = new JobIndex();
  readonly limiter: RateLimiter;
  readonly armings = new ArmedScenarios();
  readonly deliveryLog = new DeliveryLog();
  readonly journal: Ring<StreamEvent>;
  /** Set by the file store: every durable change, as it happens. */
  onChange: ((c: Change) => void) | null = null;
  #due = new EventQueue<DueEvent>();
  #nextId: () => string;
  #idsDrawn = 0;
  #counters = new Map<string, Map<string, number>>();
  /** One copy of each origin string for every job that uses it (memory at 100k jobs); bounded, since hosts come from requests. */
  #origins = new Map<string, string>();

  constructor(config: StoreConfig) {
    this.config = Object.freeze({ ...config });
    this.events = new MemoryEventBus(config.replica);
    this.clockState = new VirtualClock(config.wallNow);
    this.accountsById = new Accounts({ defaultCredits: config.defaultCredits, keys: config.keys, maxKeys: config.maxKeys });
    this.limiter = new RateLimiter(config.rateLimits);
    this.journal = new Ring(config.journalSize);
    this.#nextId = createIdSource(config.seed);
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  health(): StoreHealth {
    return { status: "ok" };
  }

  now(): number {
    return this.clockState.now();
  }

  #emit(e: MockEvent): void {
    this.events.publish(e);
  }

  #change(c: Change): void {
    this.onChange?.(c);
  }

  authorize(key: string): void {
    this.accountsById.authorize(key);
  }

  submit(cmd: SubmitCommand, resolved: { scenario: ScenarioName | null }): SubmitResult {
    const now = this.now();
    const { key, request } = cmd;
    this.accountsById.authorize(key);
    let scenario = cmd.scenario;
    if (scenario === null) scenario = (this.#takeArmed(key, "submit", armableFor(request.model))?.scenario as ScenarioName | undefined) ?? cmd.fallbackScenario ?? null;
    resolved.scenario = scenario;
    const cost = request.model.credits;
    const early = beforeChargeError(scenario, request.kind, cost);
    if (early) throw early;
    this.limiter.check(key, request.kind, now);
    const { account, created } = this.accountsById.forCharge(key, now);
    if (account.credits < cost) throw insufficientCredits(cost, account.credits);
    // Charged and refunded in one step: the balance never shows the charge, and a new key keeps no account.
    if (scenario === REFUNDED_SCENARIO) throw submissionError();
    if (created) {
      this.accountsById.add(account);
      this.#emit({ kind: "account", action: "created", data: { key, credits: account.credits } });
    }
    account.credits -= cost;
    this.#idsDrawn++;
    // The account's own copy of the key: the request's is a slice of its Authorization header, which a kept job would keep alive.
    const job = newJob({ id: this.#nextId(), key: account.key, request, origin: this.#sharedOrigin(cmd.origin), scenario, now, timing: this.config.timing, seed: this.config.seed, webhookFault: cmd.webhookFault });
    this.jobIndex.add(job);
    this.limiter.record(key, request.kind, now);
    if (job.webhook) this.#due.push(job.finishedAt, { type: "terminal", jobId: job.id });
    this.#due.push(job.expiresAt, { type: "expire", jobId: job.id });
    this.#emit({ kind: "account", action: "charged", data: { key, credits: account.credits, delta: -cost } });
    this.#emit({ kind: "job", action: "created", data: jobEventData(job) });
    if (this.onChange) {
      this.#change({ t: "job", job: jobToData(job), ids: this.#idsDrawn, account: { ...account } });
    }
    return { job, creditsLeft: account.credits };
  }

  #sharedOrigin(origin: string): string {
    const known = this.#origins.get(origin);
    if (known !== undefined) return known;
    if (this.#origins.size < 64) this.#origins.set(origin, origin);
    return origin;
  }

  poll(cmd: PollCommand): PollResult {
    const now = this.now();
    this.accountsById.authorize(cmd.key);
    const job = this.jobIndex.getFor(cmd.key, cmd.jobId, now);
    // A model that does not match finds nothing upstream, like an unknown id.
    if (!job || job.model !== cmd.model) throw jobNotFound(cmd.jobId, cmd.model.id);
    if (job.notFoundPollsLeft > 0) {
      job.notFoundPollsLeft -= 1;
      this.#countersChanged(job);
      throw hiddenJob(cmd.jobId, cmd.model.id);
    }
    if (cmd.scenario === "rate_limited") throw rateLimitError("poll", 60);
    this.limiter.check(cmd.key, "poll", now);
    this.limiter.record(cmd.key, "poll", now);
    if (cmd.scenario === "status_error") throw statusError();
    if (job.statusErrorsLeft > 0) {
      job.statusErrorsLeft -= 1;
      this.#countersChanged(job);
      throw statusError();
    }
    return { job, now };
  }

  #countersChanged(job: Job): void {
    this.#emit({ kind: "job", action: "updated", data: jobEventData(job) });
    this.#change({ t: "job-counters", id: job.id, statusErrorsLeft: job.statusErrorsLeft, notFoundPollsLeft: job.notFoundPollsLeft });
  }

  jobForAsset(id: string): Job | undefined {
    const job = this.jobIndex.get(id);
    const now = this.now();
    return job && now < job.expiresAt && stateAt(job, now) === "completed" ? job : undefined;
  }

  clock(): ClockState {
    return { now: this.now(), frozen: this.clockState.frozen };
  }

  #clockChanged(action: "freeze" | "advance" | "resume", advanced_ms?: number): ClockState {
    const view = this.clock();
    this.#change({ t: "clock", ...this.clockState.state() });
    this.#emit({ kind: "clock", action, data: { now_ms: view.now, frozen: view.frozen, ...(advanced_ms === undefined ? {} : { advanced_ms }) } });
    return view;
  }

  advance(ms: number): ClockState {
    this.clockState.advance(ms);
    return this.#clockChanged("advance", ms);
  }

  freeze(): ClockState {
    this.clockState.freeze();
    return this.#clockChanged("freeze");
  }

  resume(): ClockState {
    this.clockState.resume();
    return this.#clockChanged("resume");
  }

  #view(key: string, credits: number, provisioned: boolean): AccountView {
    return { key, credits, jobs: this.jobIndex.countFor(key), usage: this.limiter.usage(key, this.now()), provisioned };
  }

  account(key: string): AccountView | undefined {
    const acc = this.accountsById.get(key);
    if (acc && !this.accountsById.isDeleted(key)) return this.#view(key, acc.credits, true);
    const balance = this.accountsById.balance(key);
    return balance === undefined ? undefined : this.#view(key, balance, false);
  }

  accounts(): AccountView[] {
    return this.accountsById.list().map((a) => this.#view(a.key, a.credits, true));
  }

  setAccount(key: string, credits: number): AccountView {
    const acc = this.accountsById.set(key, credits, this.now());
    this.#change({ t: "deleted", key, deleted: false });
    this.#change({ t: "account", account: { ...acc } });
    this.#emit({ kind: "account", action: "set", data: { key, credits } });
    return this.#view(key, credits, true);
  }

  deleteAccount(key: string): void {
    this.#resetKey(key);
    this.accountsById.delete(key);
    this.#change({ t: "deleted", key, deleted: true });
    this.#emit({ kind: "account", action: "deleted", data: { key, credits: null } });
  }

  keyForRef(ref: string): string | undefined {
    for (const a of this.accountsById.list()) if (keyRef(a.key) === ref) return a.key;
    for (const k of this.accountsById.deletedKeys()) if (keyRef(k) === ref) return k;
    for (const j of this.jobIndex.all()) if (keyRef(j.key) === ref) return j.key;
    return undefined;
  }

  arm(input: ArmInput): Armed {
    const a = this.armings.arm(input);
    this.#armedChanged("armed", a);
    return a;
  }

  armed(): Armed[] {
    return this.armings.list();
  }

  disarm(filter: DisarmFilter): number {
    const removed = this.armings.disarm(filter);
    for (const a of removed) this.#armedChanged("disarmed", { ...a, remaining: 0 });
    return removed.length;
  }

  takeArmed(key: string, phase: Phase, applicable: readonly string[]): Armed | null {
    return this.#takeArmed(key, phase, applicable);
  }

  #takeArmed(key: string, phase: Phase, applicable: readonly string[]): Armed | null {
    const taken = this.armings.take(key, phase, applicable);
    if (taken) this.#armedChanged("consumed", { ...taken, remaining: taken.remaining });
    return taken;
  }

  #armedChanged(action: "armed" | "consumed" | "disarmed", a: Armed): void {
    this.#change({ t: "armed", list: this.armings.list() });
    this.#emit({ kind: "scenario", action, data: { id: a.id, scenario: a.scenario, key: a.key, remaining: a.remaining, phase: a.phase } });
  }

  jobs(q: JobQuery): { jobs: Job[]; total: number } {
    const now = this.now();
    let list = q.key === undefined ? [...this.jobIndex.all()] : this.jobIndex.listFor(q.key);
    if (q.status !== undefined) list = list.filter((j) => stateAt(j, now) === q.status);
    // Newest first; ids break ties so the order is stable.
    list.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    const offset = q.offset ?? 0;
    return { jobs: list.slice(offset, q.limit === undefined ? undefined : offset + q.limit), total: list.length };
  }

  job(id: string): Job | undefined {
    return this.jobIndex.get(id);
  }

  hideJob(id: string, count: number): void {
    const job = this.jobIndex.get(id);
    if (!job) return;
    job.notFoundPollsLeft = count;
    this.#change({ t: "job-counters", id, statusErrorsLeft: job.statusErrorsLeft, notFoundPollsLeft: count });
  }

  nextDueAt(): number | undefined {
    return this.#due.peekTime();
  }

  claimDue(limit: number): DueDelivery[] {
    const now = this.now();
    const out: DueDelivery[] = [];
    for (let ev = this.#due.popDue(now); ev; ev = out.length < limit ? this.#due.popDue(now) : undefined) {
      const job = this.jobIndex.get(ev.value.jobId);
      if (!job) continue;
      if (ev.value.type === "terminal") {
        out.push({ job, at: ev.at });
        this.#emit({ kind: "job", action: "terminal", data: jobEventData(job) });
      } else {
        this.removeJob(job.id);
        this.#emit({ kind: "job", action: "expired", data: jobEventData(job) });
      }
    }
    return out;
  }

  removeJob(id: string): void {
    this.jobIndex.remove(id);
    this.deliveryLog.removeJob(id);
    this.#change({ t: "unjob", id });
  }

  addDelivery(d: NewDelivery): DeliveryRecord {
    const record = this.deliveryLog.add(d);
    this.#change({ t: "delivery", record: { ...record } });
    this.#emit({ kind: "delivery", action: "attempt", data: { ...record } });
    return record;
  }

  settleDelivery(id: string, s: DeliverySettlement): void {
    const record = this.deliveryLog.settle(id, s);
    if (!record) return;
    this.#change({ t: "delivery", record: { ...record } });
    this.#emit({ kind: "delivery", action: "outcome", data: { ...record } });
  }

  deliveries(filter: { jobId?: string; key?: string }): DeliveryRecord[] {
    return this.deliveryLog.list(filter).map((d) => ({ ...d }));
  }

  delivery(id: string): DeliveryRecord | undefined {
    const d = this.deliveryLog.get(id);
    return d && { ...d };
  }

  /** One process: no claim leases to release. */
  releaseClaim(_jobId: string): void {}

  sweepAbandoned(): number {
    return 0;
  }

  recordRequest(r: RequestEventData): void {
    const e = this.events.publish({ kind: "request", data: r });
    this.journal.push(e);
  }

  requests(q: RequestQuery): StreamEvent[] {
    return this.journal.newest(q.limit, (e) => matchesRequest(e, q));
  }

  incr(name: string, field: string, by = 1): number {
    let m = this.#counters.get(name);
    if (!m) this.#counters.set(name, (m = new Map()));
    const n = (m.get(field) ?? 0) + by;
    m.set(field, n);
    return n;
  }

  counters(name: string): Record<string, number> {
    return Object.fromEntries(this.#counters.get(name) ?? []);
  }

  reset(key?: string): void {
    this.clearState(key);
    this.#change({ t: "reset", key: key ?? null });
    this.#emit({ kind: "reset", action: "reset", data: { key: key ?? null } });
  }

  /** What a reset forgets, without logging or announcing it (a state file replays its resets through this). */
  clearState(key?: string): void {
    if (key === undefined) {
      this.jobIndex.clear();
      this.deliveryLog.clear();
      this.#due.clear();
      this.armings.disarm();
      this.journal.clear();
      this.#counters.clear();
      this.accountsById.reset(undefined, this.now());
      this.limiter.reset();
    } else {
      this.#resetKey(key);
    }
  }

  #resetKey(key: string): void {
    for (const job of this.jobIndex.removeKey(key)) this.deliveryLog.removeJob(job.id);
    this.armings.disarm({ key });
    this.accountsById.reset(key, this.now());
    this.limiter.reset(key);
  }

  /**
   * Re-queues a restored job's due events (a restart from a state file),
   * indexing it unless it already is. Its webhook is not queued again once a
   * delivery exists: the docs promise one attempt.
   */
  scheduleRestored(job: Job): void {
    if (this.jobIndex.get(job.id) !== job) this.jobIndex.add(job);
    if (job.webhook && !this.deliveryLog.hasJob(job.id)) this.#due.push(job.finishedAt, { type: "terminal", jobId: job.id });
    this.#due.push(job.expiresAt, { type: "expire", jobId: job.id });
  }

  /** Job ids drawn so far (a seeded store's ids are the first n of its sequence). */
  get idsDrawn(): number {
    return this.#idsDrawn;
  }

  /** Continues the id sequence after `n` ids (a restart from a state file); never goes back. */
  restoreIds(n: number): void {
    if (n <= this.#idsDrawn) return;
    this.#idsDrawn = n;
    this.#nextId = createIdSource(this.config.seed, n);
  }
}
