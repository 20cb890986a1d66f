/**
 * The one interface every store implements (memory, file, Redis). One
 * operation per request or control call. The memory store answers
 * synchronously (`T`), so the hot path never waits on a promise; the Redis
 * store answers `Promise<T>`. Rules live in src/domain/; a store only decides
 * how state is read and changed, and proves it with test/store-behaviour.
 */
import type { Model } from "../domain/catalog.js";
import type { DeliveryRecord, DeliverySettlement, NewDelivery } from "../domain/deliveries.js";
import type { Job, JobWebhookFault } from "../domain/jobs.js";
import type { JobState, Timing } from "../domain/lifecycle.js";
import type { RateBucket } from "../domain/rate-limits.js";
import type { Armed, ArmInput, DisarmFilter, Phase, ScenarioName } from "../domain/scenarios.js";
import type { SubmitRequest } from "../domain/submit-rules.js";
import type { EventStream, RequestEventData, StreamEvent } from "../events/types.js";

export type MaybePromise<T> = T | Promise<T>;
export type StoreKind = "memory" | "file" | "redis";

export interface StoreConfig {
  seed: number | null;
  timing: Timing;
  rateLimits: boolean;
  defaultCredits: number;
  /** --keys FILE: only these keys, with their starting credits; null for --keys auto. */
  keys: ReadonlyMap<string, number> | null;
  maxKeys: number;
  journalSize: number;
  /** Names the process in journal entries, deliveries and events. */
  replica: string;
  /** Wall clock (the memory store's virtual clock runs on it; tests inject one). */
  wallNow: () => number;
}

export interface SubmitCommand {
  key: string;
  request: SubmitRequest;
  /** From the X-Mock-Scenario header or a magic image host; an armed one is used only when this is null. */
  scenario: ScenarioName | null;
  origin: string;
  /** Chaos's scenario for this submit: used when neither `scenario` nor an arming names one. */
  fallbackScenario?: ScenarioName | null;
  /** A webhook fault named at submit, kept on the job for its delivery. */
  webhookFault?: JobWebhookFault | null;
}

export interface SubmitResult {
  job: Job;
  creditsLeft: number;
}

export interface PollCommand {
  key: string;
  jobId: string;
  model: Model;
  /** The header's scenario for this poll (rate_limited or status_error apply to it). */
  scenario: ScenarioName | null;
}

export interface PollResult {
  job: Job;
  now: number;
}

export interface ClockState {
  now: number;
  frozen: boolean;
}

export interface AccountView {
  key: string;
  credits: number;
  jobs: number;
  usage: Record<RateBucket, number>;
  /** False for a key that was never charged or set: it shows the balance it would start with. */
  provisioned: boolean;
}

export interface JobQuery {
  key?: string;
  status?: JobState;
  limit?: number;
  offset?: number;
}

export interface RequestQuery {
  limit: number;
  method?: string;
  /** Substring of the path. */
  path?: string;
  /** "2xx", "4xx", … */
  statusClass?: string;
  key?: string;
  scenario?: string;
  /** A fault name, or "any" for every request that met a fault. */
  fault?: string;
}

/** A job whose terminal moment has come, claimed by this process to send its webhook. */
export interface DueDelivery {
  job: Job;
  at: number;
}

export interface StoreHealth {
  status: "ok" | "degraded";
  detail?: string;
}

export interface Store {
  readonly kind: StoreKind;
  /** True when every operation answers synchronously (memory, file). */
  readonly sync: boolean;
  readonly events: EventStream;
  readonly config: Readonly<StoreConfig>;

  /** Connects or loads; resolves when the store can answer. */
  open(): Promise<void>;
  close(): Promise<void>;
  health(): StoreHealth;
  /** Virtual now as this process last knew it; exact for the memory store. */
  now(): number;

  /** Throws 401 for a deleted key or one outside --keys FILE; creates nothing. */
  authorize(key: string): MaybePromise<void>;
  /** Authorizes, applies the armed scenario, rate limit and charge, and creates the job, atomically. `resolved` names the scenario that applied, even when it throws. */
  submit(cmd: SubmitCommand, resolved: { scenario: ScenarioName | null }): MaybePromise<SubmitResult>;
  poll(cmd: PollCommand): MaybePromise<PollResult>;
  /** A completed job whose results may be downloaded now. */
  jobForAsset(id: string): MaybePromise<Job | undefined>;

  clock(): MaybePromise<ClockState>;
  advance(ms: number): MaybePromise<ClockState>;
  freeze(): MaybePromise<ClockState>;
  resume(): MaybePromise<ClockState>;

  /** undefined for a deleted key (or one outside --keys FILE). */
  account(key: string): MaybePromise<AccountView | undefined>;
  accounts(): MaybePromise<AccountView[]>;
  setAccount(key: string, credits: number): MaybePromise<AccountView>;
  deleteAccount(key: string): MaybePromise<void>;
  /** The full key behind a key_ref, among keys the store knows. */
  keyForRef(ref: string): MaybePromise<string | undefined>;

  arm(input: ArmInput): MaybePromise<Armed>;
  armed(): MaybePromise<Armed[]>;
  disarm(filter: DisarmFilter): MaybePromise<number>;
  /** Uses up one arming for a request outside the submit path (poll, result, webhook faults). */
  takeArmed(key: string, phase: Phase, applicable: readonly string[]): MaybePromise<Armed | null>;

  jobs(q: JobQuery): MaybePromise<{ jobs: Job[]; total: number }>;
  job(id: string): MaybePromise<Job | undefined>;
  /** Marks the next `count` polls of a job as 404 (fault poll_not_found). */
  hideJob(id: string, count: number): MaybePromise<void>;

  /** The earliest due moment (webhook or expiry), virtual ms. */
  nextDueAt(): MaybePromise<number | undefined>;
  /** Expires what is due and claims due webhooks for this process; each is handed to exactly one claimer. */
  claimDue(limit: number): MaybePromise<DueDelivery[]>;
  /** `holdMs`: how much longer than the lease a pending attempt may stay unsettled (fault webhook_timeout waits that long). */
  addDelivery(d: NewDelivery, holdMs?: number): MaybePromise<DeliveryRecord>;
  /** The claimer keeps a claimed webhook itself (fault webhook_delay): it is not swept as abandoned. */
  releaseClaim(jobId: string): MaybePromise<void>;
  settleDelivery(id: string, s: DeliverySettlement): MaybePromise<void>;
  deliveries(filter: { jobId?: string; key?: string }): MaybePromise<DeliveryRecord[]>;
  delivery(id: string): MaybePromise<DeliveryRecord | undefined>;
  /** Records claimed deliveries whose sender died as `abandoned`; returns how many. */
  sweepAbandoned(): MaybePromise<number>;

  /** Appends to the journal and publishes the request event; never waits. */
  recordRequest(r: RequestEventData): void;
  requests(q: RequestQuery): MaybePromise<StreamEvent[]>;

  /** Counters shared by every replica (chaos ordinals, fault counts). */
  incr(name: string, field: string, by?: number): MaybePromise<number>;
  counters(name: string): MaybePromise<Record<string, number>>;

  /** Everything, or one key's state. */
  reset(key?: string): MaybePromise<void>;
}

/** `then` for a value that may or may not be a promise: sync values stay sync. */
export function andThen<T, U>(v: MaybePromise<T>, fn: (t: T) => U): MaybePromise<U> {
  return v instanceof Promise ? v.then(fn) : fn(v);
}
