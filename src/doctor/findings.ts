import type { RequestEventData } from "../events/types.js";
import { RULE_INDEX, ruleById, type RuleId, type Severity } from "./rules.js";

/** What a finding points at: a journal entry (GET /__mock/requests) or a delivery (GET /__mock/webhooks). */
export interface Evidence {
  /** The journal entry's id, or the delivery's id for webhook findings; null when the entry was not kept. */
  id: string | null;
  /** Wall-clock time, ISO 8601. */
  at: string;
  /** e.g. `GET /api/v1/jobs/5f0c…?model_id=… → 200 completed` */
  request: string;
}

/** A finding as GET /__mock/doctor and the CLI show it (keys are masked at the HTTP edge). */
export interface FindingView {
  rule: RuleId;
  severity: Severity;
  key: string | null;
  job_id?: string;
  /** What the finding is about when it is not a job: a receiver URL, an error code, a body. */
  subject?: string;
  count: number;
  first_seen: string;
  last_seen: string;
  message: string;
  evidence: Evidence[];
  credits_wasted?: number;
  advice: string;
  doc: string;
}

export const EVIDENCE_MAX = 5;

/**
 * One rule broken by one key (about one job or subject), counted. Times are
 * wall-clock ms; evidence keeps the first few occurrences.
 */
export class Finding {
  count = 0;
  first: number;
  last: number;
  credits = 0;
  /** The largest figure seen (polls in a minute, projected polls): the message is rebuilt only when it grows. */
  peak = 0;
  readonly evidence: { id: string | null; wall: number; request: string }[] = [];

  constructor(
    readonly rule: RuleId,
    public severity: Severity,
    readonly key: string | null,
    readonly jobId: string | null,
    readonly subject: string | null,
    public message: string,
    wall: number,
  ) {
    this.first = wall;
    this.last = wall;
  }

  get wantsEvidence(): boolean {
    return this.evidence.length < EVIDENCE_MAX;
  }

  /** Counts one more occurrence at `wall`. */
  hit(wall: number, credits = 0): this {
    this.count++;
    if (wall > this.last) this.last = wall;
    if (wall < this.first) this.first = wall;
    this.credits += credits;
    return this;
  }

  cite(id: string | null, wall: number, request: string): this {
    if (this.evidence.length < EVIDENCE_MAX) this.evidence.push({ id, wall, request });
    return this;
  }

  citeRequest(id: string | null, r: RequestEventData): this {
    return this.wantsEvidence ? this.cite(id, r.wall_ms, requestSummary(r)) : this;
  }

  view(): FindingView {
    const rule = ruleById(this.rule);
    return {
      rule: this.rule, severity: this.severity, key: this.key,
      ...(this.jobId === null ? {} : { job_id: this.jobId }),
      ...(this.subject === null ? {} : { subject: this.subject }),
      count: this.count, first_seen: iso(this.first), last_seen: iso(this.last), message: this.message.replace("{peak}", String(this.peak)),
      evidence: this.evidence.map((e) => ({ id: e.id, at: iso(e.wall), request: e.request })),
      ...(this.credits > 0 ? { credits_wasted: this.credits } : {}),
      advice: rule.advice, doc: rule.doc,
    };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `GET /api/v1/jobs/…?model_id=… → 200 completed`: a request in one line, for evidence. */
export function requestSummary(r: RequestEventData): string {
  const outcome = r.job_status ?? r.error_code ?? "";
  return `${r.method} ${r.path}${r.query ? `?${r.query}` : ""} → ${r.status}${outcome ? ` ${outcome}` : ""}`;
}

/** Errors first, then rules in table order, then oldest first. */
export function compareFindings(a: FindingView, b: FindingView): number {
  if (a.severity !== b.severity) return a.severity === "error" ? -1 : 1;
  if (a.rule !== b.rule) return RULE_INDEX[a.rule] - RULE_INDEX[b.rule];
  return a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : 0;
}

/**
 * Every stored finding, at most `max`: past that, new ones are only counted
 * (a client that breaks a rule on every job must not grow memory without end),
 * except that an error displaces the oldest warning: a full book must not
 * hide the one error that fails a CI run.
 */
export class FindingBook {
  // Two sets, so the oldest warning is the first of one (the report sorts anyway).
  #errors = new Set<Finding>();
  #warnings = new Set<Finding>();
  /** Findings not stored (or displaced), by severity; `dropped` is their sum. */
  droppedBySeverity: Record<Severity, number> = { error: 0, warn: 0 };

  /** `onDisplaced` hears of a warning taken out to make room for an error. */
  constructor(readonly max: number, readonly onDisplaced: (f: Finding) => void = () => {}) {}

  get size(): number {
    return this.#errors.size + this.#warnings.size;
  }

  get dropped(): number {
    return this.droppedBySeverity.error + this.droppedBySeverity.warn;
  }

  /** Stores a new finding; false when the book is full (and, for an error, holds no warning to displace). */
  add(f: Finding): boolean {
    if (this.size >= this.max) {
      const oldest = f.severity === "error" ? this.#warnings.values().next() : undefined;
      if (oldest === undefined || oldest.done) {
        this.droppedBySeverity[f.severity]++;
        return false;
      }
      this.#warnings.delete(oldest.value);
      this.droppedBySeverity.warn++;
      this.onDisplaced(oldest.value);
    }
    (f.severity === "error" ? this.#errors : this.#warnings).add(f);
    return true;
  }

  delete(f: Finding): void {
    this.#errors.delete(f);
    this.#warnings.delete(f);
  }

  removeKey(key: string): void {
    for (const set of [this.#errors, this.#warnings]) for (const f of set) if (f.key === key) set.delete(f);
  }

  /** A reset key's dropped findings go with its stored ones. */
  forgetDropped(counts: Record<Severity, number>): void {
    this.droppedBySeverity.error = Math.max(0, this.droppedBySeverity.error - counts.error);
    this.droppedBySeverity.warn = Math.max(0, this.droppedBySeverity.warn - counts.warn);
  }

  clear(): void {
    this.#errors.clear();
    this.#warnings.clear();
    this.droppedBySeverity = { error: 0, warn: 0 };
  }

  *values(): Generator<Finding, void, undefined> {
    yield* this.#errors;
    yield* this.#warnings;
  }
}
