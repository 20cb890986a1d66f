import { findModel } from "../domain/catalog.js";
import type { DeliveryRecord } from "../domain/deliveries.js";
import type { JobEventData, RequestEventData, StreamEvent } from "../events/types.js";
import { compareFindings, Finding, FindingBook, type FindingView } from "./findings.js";
import { judgeJob } from "./judge.js";
import { ClientRules } from "./client-rules.js";
import { verdictOf, type DoctorReport } from "./report.js";
import { RULE_INDEX, type RuleId, type Severity } from "./rules.js";
import { JobTrack } from "./job-track.js";
import { KeyState } from "./state.js";

export interface DoctorLimits {
  /** Jobs tracked at once; past it the oldest is forgotten (and counted as untracked). */
  maxJobs: number;
  /** Keys tracked at once; the least recently seen goes first. */
  maxKeys: number;
  /** Findings stored; past it new ones are only counted (an error displaces the oldest warning). */
  maxFindings: number;
}

/** 10,000 recent jobs (about 2 MB): a mock holding 100,000 live jobs needs little more memory than before the doctor existed. */
export const DEFAULT_DOCTOR_LIMITS: Readonly<DoctorLimits> = Object.freeze({ maxJobs: 10_000, maxKeys: 1_000, maxFindings: 1_000 });

export interface DoctorDeps {
  /** Virtual now: job state and expiry are judged on it. */
  now: () => number;
  /** Wall-clock now: the client's timing is judged on it. */
  wallNow: () => number;
  /** --public-url's host: a poll through it follows the poll_url too. */
  publicHost: string | null;
  limits?: Partial<DoctorLimits>;
}

const FAILED_DELIVERY = new Set(["http_error", "redirect", "timeout", "connection_error", "abandoned", "refused"]);

/**
 * The integration doctor: reads the event stream (requests, jobs, deliveries)
 * and reports what a client does that will hurt it against the live API.
 * Each request event costs a few map look-ups and number updates; state is
 * bounded (see DoctorLimits and the per-key caps in state.ts). Client timing
 * is judged on wall_ms; job state and expiry on the virtual clock.
 */
export class Doctor {
  readonly limits: Readonly<DoctorLimits>;
  readonly #deps: DoctorDeps;
  readonly #jobs = new Map<string, JobTrack>();
  /** Tracked jobs' ids in the order they were first seen (some since forgotten); #orderHead is the oldest unread. */
  #order: string[] = [];
  #orderHead = 0;
  readonly #keys = new Map<string, KeyState>();
  #anonymous = new KeyState(null);
  #lastKs: KeyState | null = null;
  readonly #book: FindingBook;
  readonly #rules: ClientRules;
  #requests = 0;
  #untracked = 0;
  readonly #epoch: { wall: number; virtual: number };
  readonly #pollQueries = new Map<string, string>();

  constructor(deps: DoctorDeps) {
    this.#deps = deps;
    this.#epoch = { wall: deps.wallNow(), virtual: deps.now() };
    this.limits = Object.freeze({ ...DEFAULT_DOCTOR_LIMITS, ...deps.limits });
    this.#book = new FindingBook(this.limits.maxFindings, (f) => this.#keyStateOf(f.key)?.detach(f));
    this.#rules = new ClientRules({
      job: (id) => this.#jobs.get(id),
      track: (id, ks, modelId, wall) => this.#track(id, ks, modelId, wall),
      finding: (ks, rule, subject, jobId, severity, message, wall) => this.#finding(ks, rule, subject, jobId, severity, message, wall),
      publicHost: deps.publicHost,
    });
  }

  /** The event-stream subscriber. */
  observe(e: StreamEvent): void {
    switch (e.kind) {
      case "request":
        this.#request(e.id, e.data);
        return;
      case "job":
        if (e.action === "created") this.#created(e.data);
        else if (e.action === "expired") this.#expired(e.data.job_id);
        return;
      case "delivery":
        if (e.action === "outcome") this.#delivery(e.data);
        return;
      case "account":
        if (e.action === "set") this.#keys.get(e.data.key)?.forgetRefusals();
        return;
      case "reset":
        this.#reset(e.data.key);
        return;
    }
  }

  #request(id: string, r: RequestEventData): void {
    this.#requests++;
    const op = r.operation;
    if (op === null) return;
    if (op === "cdn") {
      if (r.status === 200 && r.job_id !== null) {
        const job = this.#jobs.get(r.job_id);
        if (job !== undefined) job.downloaded = true;
      }
      return;
    }
    this.#rules.request(this.#keyState(r.key), id, r, op);
  }

  #keyState(key: string | null): KeyState {
    if (key === null) return this.#anonymous;
    const last = this.#lastKs;
    if (last !== null && last.key === key) return last;
    let ks = this.#keys.get(key);
    const nearCap = this.#keys.size >= this.limits.maxKeys * 0.9;
    if (ks === undefined) {
      ks = new KeyState(key);
      if (this.#keys.size >= this.limits.maxKeys) this.#keys.delete(this.#keys.keys().next().value!);
      this.#keys.set(key, ks);
    } else if (nearCap) {
      // Near the cap the map's order must be least recently seen first, so a seen key moves to the end.
      this.#keys.delete(key);
      this.#keys.set(key, ks);
    }
    this.#lastKs = ks;
    return ks;
  }

  /** A key's state if tracked, without making it the most recently seen. */
  #keyStateOf(key: string | null): KeyState | undefined {
    return key === null ? this.#anonymous : this.#keys.get(key);
  }

  #track(id: string, ks: KeyState, modelId: string | null, wall: number): JobTrack {
    let job = this.#jobs.get(id);
    if (job !== undefined) return job;
    const model = modelId === null ? undefined : findModel(modelId);
    const canonical = model?.id ?? modelId ?? "";
    let pollQuery = this.#pollQueries.get(canonical);
    if (pollQuery === undefined) {
      pollQuery = `model_id=${encodeURIComponent(canonical)}`;
      if (this.#pollQueries.size < 64) this.#pollQueries.set(canonical, pollQuery);
    }
    job = new JobTrack(id, ks, canonical, pollQuery, model !== undefined && model.kind !== "vision", model?.credits ?? 0, wall, this.#epoch);
    if (this.#jobs.size >= this.limits.maxJobs) {
      this.#forget(this.#oldestTracked());
      this.#untracked++;
    }
    this.#jobs.set(id, job);
    this.#order.push(id);
    return job;
  }

  /**
   * The oldest job still tracked. Not the map's first entry: after many
   * deletions a Map iterator walks the holes at its front, which made every
   * eviction cost thousands of steps (7 % of a submit at the cap).
   */
  #oldestTracked(): JobTrack {
    for (;;) {
      const job = this.#jobs.get(this.#order[this.#orderHead++]!);
      if (this.#orderHead > 1024 && this.#orderHead * 2 > this.#order.length) {
        this.#order = this.#order.slice(this.#orderHead);
        this.#orderHead = 0;
      }
      if (job !== undefined) return job;
    }
  }

  #forget(job: JobTrack): void {
    if (job.inFlight) job.ks.inFlight--;
    if (job.ks.hotJob === job) job.ks.hotJob = null;
    this.#jobs.delete(job.id);
    this.#compactOrder();
  }

  /**
   * Expiry and resets forget jobs without reading #order, so their ids would
   * stay in it for good (a long-running mock kept every id it ever saw). When
   * the unread part outgrows the jobs tracked, it is rebuilt from the map,
   * whose order is the order jobs were tracked in: at least 1,024 forgotten
   * ids pay for each rebuild.
   */
  #compactOrder(): void {
    if (this.#order.length - this.#orderHead <= 2 * this.#jobs.size + 1024) return;
    this.#order = Array.from(this.#jobs.keys());
    this.#orderHead = 0;
  }

  /** Ids held to find the oldest tracked job: bounded by about twice the jobs tracked (see #compactOrder). */
  get orderLength(): number {
    return this.#order.length - this.#orderHead;
  }

  #created(d: JobEventData): void {
    const job = this.#track(d.job_id, this.#keyState(d.key), d.model_id, this.#deps.wallNow());
    job.finishedMs = d.finished_ms;
    job.expiresMs = d.expires_ms;
    job.completed = d.outcome === "completed";
    job.webhook = d.webhook_url !== null;
  }

  /** An expired job is judged for the last time, then forgotten. */
  #expired(jobId: string): void {
    const job = this.#jobs.get(jobId);
    if (job === undefined) return;
    for (const f of judgeJob(job, true, this.#clock())) {
      const stored = this.#finding(job.ks, f.rule, job.id, job.id, f.severity, f.message, f.first);
      stored?.hit(f.last, f.credits);
      for (const e of f.evidence) stored?.cite(e.id, e.wall, e.request);
    }
    this.#forget(job);
  }

  #delivery(d: DeliveryRecord): void {
    if (d.tamper !== null) {
      if (d.outcome !== "delivered") return;
      const ks = this.#keyState(d.key);
      const wall = this.#deps.wallNow();
      const f = this.#finding(ks, "webhook-unverified", d.url, d.jobId, "error", "", wall);
      if (f === null) return;
      f.hit(wall).cite(d.id, wall, `POST ${d.url} (${d.tamper} tampered) → ${d.responseStatus}`);
      const kinds = [...new Set(f.evidence.map((e) => /\((\w+) tampered\)/.exec(e.request)?.[1]))].join(", ");
      f.message = `The receiver at ${d.url} answered 2xx to deliveries with a tampered ${kinds}: it does not verify what it accepts.`;
      return;
    }
    const job = this.#jobs.get(d.jobId);
    if (job === undefined) return;
    if (d.outcome === "delivered") {
      job.delivered = true;
      job.reconciled = true;
    } else if (FAILED_DELIVERY.has(d.outcome) && d.redeliveryOf === null) {
      job.deliveryFailedAt(this.#deps.wallNow(), d.outcome, d.id);
      // A client that already polled the job to its end has the result: the failed delivery costs it nothing.
      if (job.seenTerminal >= 0) job.reconciled = true;
    }
  }

  #reset(key: string | null): void {
    this.#lastKs = null;
    if (key === null) {
      this.#jobs.clear();
      this.#order = [];
      this.#orderHead = 0;
      this.#keys.clear();
      this.#anonymous = new KeyState(null);
      this.#book.clear();
      this.#untracked = 0;
      return;
    }
    const ks = this.#keys.get(key);
    if (ks !== undefined) this.#book.forgetDropped({ error: ks.droppedErrors, warn: ks.droppedWarnings });
    this.#keys.delete(key);
    for (const job of this.#jobs.values()) if (job.ks.key === key) this.#jobs.delete(job.id);
    this.#compactOrder();
    this.#book.removeKey(key);
  }

  /** The stored finding of (key, rule, subject), opened when new; null when the book is full. */
  #finding(ks: KeyState, rule: RuleId, subject: string, jobId: string | null, severity: Severity, message: string, wall: number): Finding | null {
    const byRule = ks.findingsOf(RULE_INDEX[rule]);
    let f = byRule.get(subject);
    if (f !== undefined) return f;
    f = new Finding(rule, severity, ks.key, jobId, jobId === subject || subject === "" ? null : subject, message, wall);
    if (!this.#book.add(f)) {
      if (severity === "error") ks.droppedErrors++;
      else ks.droppedWarnings++;
      return null;
    }
    byRule.set(subject, f);
    return f;
  }

  #clock() {
    return { virtualNow: this.#deps.now(), wallNow: this.#deps.wallNow() };
  }

  /** Every finding, stored and judged now, for one key or all; keys are raw here (the HTTP edge masks them). */
  report(key?: string): DoctorReport {
    const findings: FindingView[] = [];
    for (const f of this.#book.values()) if (key === undefined || f.key === key) findings.push(f.view());
    const clock = this.#clock();
    for (const job of this.#jobs.values()) {
      if (key !== undefined && job.ks.key !== key) continue;
      for (const f of judgeJob(job, false, clock)) findings.push(f.view());
    }
    findings.sort(compareFindings);
    const dropped = key === undefined ? this.#book.droppedBySeverity : droppedOf(this.#keys.get(key));
    const seen = {
      requests: this.#requests, keys: this.#keys.size, jobs: this.#jobs.size,
      jobs_untracked: this.#untracked, findings_dropped: this.#book.dropped,
      findings_dropped_errors: dropped.error, findings_dropped_warnings: dropped.warn,
    };
    return { enabled: true, verdict: verdictOf(findings, seen.requests, seen), findings, seen };
  }
}

const droppedOf = (ks: KeyState | undefined): Record<Severity, number> => ({ error: ks?.droppedErrors ?? 0, warn: ks?.droppedWarnings ?? 0 });
