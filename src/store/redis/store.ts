import { randomUUID } from "node:crypto";
import type { DeliveryRecord, DeliverySettlement, NewDelivery } from "../../domain/deliveries.js";
import { ApiError } from "../../domain/errors.js";
import type { Job } from "../../domain/jobs.js";
import { keyRef } from "../../domain/keys.js";
import { stateAt } from "../../domain/lifecycle.js";
import { seededId } from "../../domain/random.js";
import { RATE_LIMITS, rateLimitError } from "../../domain/rate-limits.js";
import type { Armed, ArmInput, DisarmFilter, Phase, ScenarioName } from "../../domain/scenarios.js";
import { armableFor, beforeChargeError, hiddenJob, insufficientCredits, jobNotFound, rateLimited, statusError, submissionError, unknownKey } from "../../domain/submit-flow.js";
import type { RequestEventData, StreamEvent } from "../../events/types.js";
import { keyLimitError } from "../memory/accounts.js";
import { matchesRequest } from "../request-filter.js";
import type { StoreLog } from "../open.js";
import type { AccountView, ClockState, DueDelivery, JobQuery, PollCommand, PollResult, RequestQuery, Store, StoreConfig, StoreHealth, SubmitCommand, SubmitResult } from "../types.js";
import { ACCOUNT_FIELDS, JobCache, accountFrom, armedFrom, deliveryFrom, planArgs, planJobs } from "./codec.js";
import { RedisConnection } from "./connection.js";
import { RedisEventStream } from "./events.js";
import { loadScripts, type Script, type ScriptName } from "./scripts.js";
import { checkServer } from "./server-check.js";

export interface RedisStoreOptions {
  /** How long a claimed webhook may stay unsettled (wall-clock ms) before a sweep records it `abandoned`. */
  leaseMs: number;
  /** Where start-up warnings go (an eviction policy that may drop the mock's keys). */
  log: StoreLog;
}

type Row = unknown[];

const JOURNAL_BATCH = 200;

/**
 * All state in Redis, under `namespace:`, shared by every replica. Each
 * operation that reads and changes state is one Lua script (src/store/redis/lua/),
 * so checks and changes are atomic without WATCH/MULTI; JS plans jobs and turns
 * each script's answer into the same ApiErrors the memory store throws.
 * Virtual time is computed inside the scripts (Redis TIME plus a stored offset,
 * or the frozen instant); now() here is a local estimate from the last reply.
 */
export class RedisStore implements Store {
  readonly kind = "redis" as const;
  readonly sync = false;
  readonly config: Readonly<StoreConfig>;
  readonly events: RedisEventStream;
  /** What open() found that an operator should hear about; also sent to the log. */
  readonly warnings: string[] = [];
  readonly prefix: string;
  readonly leaseMs: number;
  #conn: RedisConnection;
  #scripts: Record<ScriptName, Script> = loadScripts();
  #clockKey: string;
  #jobs = new JobCache();
  #keysMode: string;
  #seen = { now: Date.now(), at: Date.now(), frozen: false };
  #log: StoreLog | undefined;
  #journal: string[] = [];

  constructor(
    readonly url: string,
    readonly namespace: string,
    config: StoreConfig,
    options: Partial<RedisStoreOptions> = {},
  ) {
    this.config = Object.freeze({ ...config });
    this.prefix = `${namespace}:`;
    this.#clockKey = `${this.prefix}clock`;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.#log = options.log;
    this.#keysMode = config.keys === null ? "0" : "1";
    this.#conn = new RedisConnection(url, `artemotion-mock:${config.replica}`);
    this.events = new RedisEventStream(url, `${this.prefix}events`, this.#conn, `artemotion-mock:${config.replica}`);
    // While the stream is read (someone watches), another replica's clock change corrects the estimate at once.
    this.events.onEvent = (e) => {
      if (e.kind === "clock") this.#at(e.data.now_ms, e.data.frozen ? 1 : 0);
    };
  }

  async open(): Promise<void> {
    await this.#conn.open();
    try {
      this.warnings.push(...(await checkServer(this.#conn.client, this.#conn.shownUrl)));
      for (const w of this.warnings) this.#log?.warn(w);
      // Compiles every script now, so a broken one stops the start; later calls go by SHA.
      await Promise.all(Object.values(this.#scripts).map((s) => this.#conn.client.scriptLoad(s.source)));
      await this.#seedKeys();
      await this.clock();
      // A Redis that came back empty (no persistence) still knows the --keys FILE list; a seed never overwrites a balance.
      this.#conn.client.on("ready", () => void this.#seedKeys().catch(() => {}));
    } catch (e) {
      await this.#conn.close();
      throw e;
    }
  }

  async #seedKeys(): Promise<void> {
    if (this.config.keys !== null) await this.#run("seed-keys", [...this.config.keys].flat());
  }

  async close(): Promise<void> {
    if (this.#journal.length > 0) this.#flushJournal();
    this.events.close();
    await this.#conn.close();
  }

  health(): StoreHealth {
    return this.#conn.health();
  }

  now(): number {
    const s = this.#seen;
    return s.frozen ? s.now : s.now + (Date.now() - s.at);
  }

  async #run(name: ScriptName, args: readonly (string | number)[]): Promise<Row> {
    return (await this.#conn.eval(this.#scripts[name], [this.#clockKey], [this.prefix, this.config.replica, ...args])) as Row;
  }

  /** Every reply that carries the virtual now refreshes the local estimate. */
  #at(now: unknown, frozen: unknown): number {
    const n = Number(now);
    this.#seen = { now: n, at: Date.now(), frozen: Number(frozen) === 1 };
    return n;
  }

  async #cmd<T>(fn: (c: RedisConnection["client"]) => Promise<T>): Promise<T> {
    try {
      return await fn(this.#conn.client);
    } catch (e) {
      throw this.#conn.unavailable(e);
    }
  }

  async authorize(key: string): Promise<void> {
    if (Number(await this.#run("authorize", [key, this.#keysMode])) !== 1) throw unknownKey();
  }

  async submit(cmd: SubmitCommand, resolved: { scenario: ScenarioName | null }): Promise<SubmitResult> {
    const { key, request } = cmd;
    // Seeded ids come from a shared counter, taken before the script (the plans need the id): see the README.
    const seed = this.config.seed;
    const id = seed === null ? randomUUID() : seededId(seed, Number(await this.#cmd((c) => c.hIncrBy(`${this.prefix}seq`, "job", 1))) - 1);
    const plans = planJobs(cmd, id, this.config);
    const command = [
      key, request.kind, request.model.credits, cmd.scenario ?? "", this.config.rateLimits ? RATE_LIMITS[request.kind] : 0,
      this.config.defaultCredits, this.config.maxKeys, this.#keysMode, (cmd.scenario === null ? armableFor(request.model) : []).join(","),
      id, request.webhook?.url ?? "", request.model.id, cmd.scenario === null ? (cmd.fallbackScenario ?? "") : "", ...planArgs(plans),
    ];
    const r = await this.#run("submit", command);
    const now = this.#at(r[1], r[2]);
    const status = String(r[0]);
    if (status === "unauthorized") throw unknownKey();
    const scenario = r[3] === "" ? null : (String(r[3]) as ScenarioName);
    resolved.scenario = scenario;
    const cost = request.model.credits;
    switch (status) {
      case "ok": {
        return { job: this.#jobs.created(plans.get(scenario ?? "")!, now), creditsLeft: Number(r[4]) };
      }
      case "early":
        throw beforeChargeError(scenario, request.kind, cost)!;
      case "rate":
        throw rateLimited(request.kind, Number(r[4]), now);
      case "keylimit":
        throw keyLimitError(this.config.maxKeys);
      case "credits":
        throw insufficientCredits(cost, Number(r[4]));
      case "submission":
        throw submissionError();
    }
    throw new Error(`submit script answered ${status}`);
  }

  async poll(cmd: PollCommand): Promise<PollResult> {
    const limit = this.config.rateLimits ? RATE_LIMITS.poll : 0;
    const r = await this.#run("poll", [cmd.key, cmd.jobId, cmd.model.id, cmd.scenario ?? "", limit, this.#keysMode]);
    const now = this.#at(r[1], r[2]);
    switch (String(r[0])) {
      case "ok":
        return { job: this.#jobs.fromReply(r[3], r[4], r[5], r[6]), now };
      case "unauthorized":
        throw unknownKey();
      case "notfound":
        throw jobNotFound(cmd.jobId, cmd.model.id);
      case "hidden":
        throw hiddenJob(cmd.jobId, cmd.model.id);
      case "rate_limited":
        throw rateLimitError("poll", 60);
      case "rate":
        throw rateLimited("poll", Number(r[3]), now);
      case "status":
        throw statusError();
    }
    throw new Error(`poll script answered ${String(r[0])}`);
  }

  async #job(id: string): Promise<{ job: Job | undefined; now: number }> {
    const r = await this.#run("job", [id]);
    const now = this.#at(r[1], r[2]);
    return { job: r[0] === "ok" ? this.#jobs.fromReply(r[3], r[4], r[5], r[6]) : undefined, now };
  }

  async jobForAsset(id: string): Promise<Job | undefined> {
    const { job, now } = await this.#job(id);
    return job && now < job.expiresAt && stateAt(job, now) === "completed" ? job : undefined;
  }

  async job(id: string): Promise<Job | undefined> {
    return (await this.#job(id)).job;
  }

  async #clock(action: "get" | "advance" | "freeze" | "resume", ms = 0): Promise<ClockState> {
    const r = await this.#run("clock", [action, ms]);
    return { now: this.#at(r[0], r[1]), frozen: Number(r[1]) === 1 };
  }

  clock(): Promise<ClockState> {
    return this.#clock("get");
  }

  async advance(ms: number): Promise<ClockState> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError("advance takes a finite, non-negative number of ms");
    return this.#clock("advance", Math.round(ms));
  }

  freeze(): Promise<ClockState> {
    return this.#clock("freeze");
  }

  resume(): Promise<ClockState> {
    return this.#clock("resume");
  }

  async account(key: string): Promise<AccountView | undefined> {
    const r = await this.#run("account", [key, this.#keysMode, this.config.defaultCredits]);
    this.#at(r[0], r[1]);
    return r[2] === "none" ? undefined : accountFrom(key, r, 3, r[2] === "provisioned");
  }

  async accounts(): Promise<AccountView[]> {
    const r = await this.#run("accounts", []);
    this.#at(r[0], r[1]);
    const out: AccountView[] = [];
    for (let i = 2; i < r.length; i += 1 + ACCOUNT_FIELDS) out.push(accountFrom(String(r[i]), r, i + 1, true));
    return out;
  }

  async setAccount(key: string, credits: number): Promise<AccountView> {
    const r = await this.#run("set-account", [key, credits]);
    this.#at(r[0], r[1]);
    return accountFrom(key, r, 3, true);
  }

  async deleteAccount(key: string): Promise<void> {
    await this.#run("delete-account", [key]);
  }

  async keyForRef(ref: string): Promise<string | undefined> {
    const p = this.prefix;
    const [accounts, deleted, users] = await this.#cmd((c) => Promise.all([c.hKeys(`${p}acct`), c.sMembers(`${p}deleted`), c.sMembers(`${p}users`)]));
    return [...accounts, ...deleted, ...users].find((k) => keyRef(String(k)) === ref);
  }

  async arm(input: ArmInput): Promise<Armed> {
    const { count, ...rest } = input;
    const id = await this.#run("arm", [input.scenario, input.key ?? "", count, input.phase, JSON.stringify(input.params)]);
    return { id: String(id), ...rest, remaining: count };
  }

  async armed(): Promise<Armed[]> {
    const r = await this.#run("armed", []);
    const out: Armed[] = [];
    for (let i = 0; i < r.length; i += 6) out.push(armedFrom(r, i));
    return out;
  }

  async disarm(filter: DisarmFilter): Promise<number> {
    return Number(await this.#run("disarm", [filter.id ?? "", filter.key ?? ""]));
  }

  async takeArmed(key: string, phase: Phase, applicable: readonly string[]): Promise<Armed | null> {
    const r = await this.#run("take", [key, phase, ...applicable]);
    return r.length === 0 ? null : armedFrom(r);
  }

  async jobs(q: JobQuery): Promise<{ jobs: Job[]; total: number }> {
    const offset = q.offset ?? 0;
    const all = q.status !== undefined;
    const r = await this.#run("jobs", [q.key ?? "", all ? 0 : offset, all ? -1 : (q.limit ?? -1)]);
    const now = this.#at(r[0], r[1]);
    const jobs = this.#jobs.many(r, 3);
    if (!all) return { jobs, total: Number(r[2]) };
    const list = jobs.filter((j) => stateAt(j, now) === q.status);
    return { jobs: list.slice(offset, q.limit === undefined ? undefined : offset + q.limit), total: list.length };
  }

  async hideJob(id: string, count: number): Promise<void> {
    await this.#run("hide-job", [id, count]);
  }

  async nextDueAt(): Promise<number | undefined> {
    const first = await this.#cmd((c) => c.zRangeWithScores(`${this.prefix}due`, 0, 0));
    return first[0]?.score;
  }

  async claimDue(limit: number): Promise<DueDelivery[]> {
    const r = await this.#run("claim-due", [limit, this.leaseMs]);
    this.#at(r[0], r[1]);
    const out: DueDelivery[] = [];
    for (let i = 2; i + 5 < r.length; i += 6) out.push({ job: this.#jobs.fromReply(r[i + 2], r[i + 3], r[i + 4], r[i + 5]), at: Number(r[i + 1]) });
    return out;
  }

  async addDelivery(d: NewDelivery, holdMs = 0): Promise<DeliveryRecord> {
    const id = await this.#run("add-delivery", [JSON.stringify(d), d.jobId, d.outcome, d.redeliveryOf === null ? "0" : "1", this.leaseMs + holdMs]);
    return { id: String(id), ...d };
  }

  /** Retries while Redis is away (up to half the lease), so a delivery that was sent is not swept as abandoned. */
  async settleDelivery(id: string, s: DeliverySettlement): Promise<void> {
    const deadline = Date.now() + this.leaseMs / 2;
    for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
      try {
        await this.#run("settle-delivery", [id, JSON.stringify(s)]);
        return;
      } catch (e) {
        if (!(e instanceof ApiError && e.code === "STORE_UNAVAILABLE") || Date.now() + wait > deadline) throw e;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  async deliveries(filter: { jobId?: string; key?: string }): Promise<DeliveryRecord[]> {
    const r = await this.#run("deliveries", [filter.jobId ?? ""]);
    return r.map(deliveryFrom).filter((d) => filter.key === undefined || d.key === filter.key);
  }

  async delivery(id: string): Promise<DeliveryRecord | undefined> {
    const r = await this.#cmd((c) => c.hGet(`${this.prefix}dlv:${id}`, "r"));
    return r === null || r === undefined ? undefined : deliveryFrom(r);
  }

  async releaseClaim(jobId: string): Promise<void> {
    await this.#run("release-claim", [jobId]);
  }

  async sweepAbandoned(): Promise<number> {
    return Number(await this.#run("sweep", []));
  }

  /**
   * Never waits: entries recorded in one turn of the event loop go to Redis in
   * one script call, in order. One lost while Redis is away is not worth
   * failing a request for.
   */
  recordRequest(r: RequestEventData): void {
    this.#journal.push(JSON.stringify({ kind: "request", replica: this.config.replica, data: r }));
    if (this.#journal.length === 1) setImmediate(() => this.#flushJournal());
  }

  #flushJournal(): void {
    if (this.#journal.length === 0) return;
    const entries = this.#journal.splice(0, JOURNAL_BATCH);
    if (this.#journal.length > 0) setImmediate(() => this.#flushJournal());
    this.#run("record", [this.config.journalSize, ...entries]).catch(() => {});
  }

  async requests(q: RequestQuery): Promise<StreamEvent[]> {
    const filtered = q.method !== undefined || q.path !== undefined || q.statusClass !== undefined || q.key !== undefined || q.scenario !== undefined || q.fault !== undefined;
    if (q.limit <= 0) return [];
    // Entries still waiting for this turn's batch go first, on the same connection, so they are read back.
    if (this.#journal.length > 0) this.#flushJournal();
    const raw = await this.#cmd((c) => c.lRange(`${this.prefix}journal`, 0, filtered ? -1 : q.limit - 1));
    const out: StreamEvent[] = [];
    for (const line of raw) {
      const s = String(line);
      const space = s.indexOf(" ");
      const e = { ...(JSON.parse(s.slice(space + 1)) as Omit<StreamEvent, "id">), id: s.slice(0, space) } as StreamEvent;
      if (matchesRequest(e, q)) out.push(e);
      if (out.length >= q.limit) break;
    }
    return out;
  }

  async incr(name: string, field: string, by = 1): Promise<number> {
    return Number(await this.#run("incr", [name, field, by]));
  }

  async counters(name: string): Promise<Record<string, number>> {
    const raw = await this.#cmd((c) => c.hGetAll(`${this.prefix}ctr:${name}`));
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }

  async reset(key?: string): Promise<void> {
    await this.#run("reset", [key ?? ""]);
    this.#jobs.clear();
  }
}
