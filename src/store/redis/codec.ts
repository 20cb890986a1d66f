/**
 * How jobs, armings, deliveries and account views travel between the store
 * and its scripts. A job is planned in JS (the rules stay in src/domain/) with
 * times relative to its submit; the script that creates it stores those and
 * the virtual instant `t0` it ran at, and a job read back is shifted by `t0`.
 */
import type { DeliveryRecord } from "../../domain/deliveries.js";
import { jobEventData, jobFromData, jobToData, type Job, type JobData } from "../../domain/jobs.js";
import { RATE_BUCKETS, type RateBucket } from "../../domain/rate-limits.js";
import type { Armed, Phase, ScenarioName } from "../../domain/scenarios.js";
import { BEFORE_CHARGE_SCENARIOS, REFUNDED_SCENARIO, armableFor, newJob } from "../../domain/submit-flow.js";
import type { AccountView, StoreConfig, SubmitCommand } from "../types.js";

/** A planned job, with what its script needs without parsing it. */
export interface Plan {
  /** The job, times relative to submit. */
  job: Job;
  /** JobData as JSON, times relative to submit. */
  d: string;
  /** The job's event data as JSON, times relative to submit (the script adds its now). */
  ev: string;
}

const TIME_FIELDS = ["createdAt", "processingAt", "finishedAt", "expiresAt"] as const;

/** The scenarios a submit may end up creating a job with: the one it names, or any armable one, or chaos's fallback, or none. */
export function possibleScenarios(cmd: SubmitCommand): (ScenarioName | null)[] {
  if (cmd.scenario !== null) return [cmd.scenario];
  const noJob = new Set<string>([...BEFORE_CHARGE_SCENARIOS, REFUNDED_SCENARIO]);
  const fallback = cmd.fallbackScenario ?? null;
  const names = new Set<ScenarioName | null>([fallback, ...armableFor(cmd.request.model)]);
  return [...names].filter((s) => s === null || !noJob.has(s));
}

/** One planned job per possible scenario, keyed by scenario name ("" for none), all with the same id. */
export function planJobs(cmd: SubmitCommand, id: string, config: Readonly<StoreConfig>): Map<string, Plan> {
  const plans = new Map<string, Plan>();
  for (const scenario of possibleScenarios(cmd)) {
    const job = newJob({ id, key: cmd.key, request: cmd.request, origin: cmd.origin, scenario, now: 0, timing: config.timing, seed: config.seed, webhookFault: cmd.webhookFault });
    plans.set(scenario ?? "", { job, d: JSON.stringify(jobToData(job)), ev: JSON.stringify(jobEventData(job)) });
  }
  return plans;
}

/** The plans as the submit script takes them: per plan, scenario, data, event, finished, expires, outcome, status errors. */
export function planArgs(plans: Map<string, Plan>): (string | number)[] {
  const out: (string | number)[] = [];
  for (const [scenario, { job, d, ev }] of plans) out.push(scenario, d, ev, job.finishedAt, job.expiresAt, job.outcome, job.statusErrorsLeft);
  return out;
}

type Cached = { t0: number; job: Job };

/**
 * Jobs as read back from Redis, parsed once: keyed by the stored text (a
 * job's data never changes; its counters come with every reply), so a poll
 * answers from the cached object. Bounded, oldest entry out first.
 */
export class JobCache {
  #map = new Map<string, Cached>();
  constructor(readonly size = 10_000) {}

  /** A job from the fields a script returns: d, t0, se, nf. */
  fromReply(d: unknown, t0: unknown, se: unknown, nf: unknown): Job {
    const data = String(d);
    const start = Number(t0);
    let hit = this.#map.get(data);
    if (!hit || hit.t0 !== start) {
      const raw = JSON.parse(data) as JobData;
      for (const f of TIME_FIELDS) raw[f] += start;
      hit = { t0: start, job: jobFromData(raw) };
      this.#map.delete(data);
      this.#map.set(data, hit);
      if (this.#map.size > this.size) this.#map.delete(this.#map.keys().next().value!);
    }
    hit.job.statusErrorsLeft = Number(se);
    hit.job.notFoundPollsLeft = Number(nf);
    return hit.job;
  }

  /** A job just planned and created at `t0`: shifted in place and kept (nobody else holds it). */
  created(plan: Plan, t0: number): Job {
    const job = plan.job;
    for (const f of TIME_FIELDS) job[f] += t0;
    this.#map.set(plan.d, { t0, job });
    if (this.#map.size > this.size) this.#map.delete(this.#map.keys().next().value!);
    return job;
  }

  /** Jobs from a flat reply of (d, t0, se, nf) groups starting at `from`. */
  many(reply: readonly unknown[], from: number): Job[] {
    const out: Job[] = [];
    for (let i = from; i + 3 < reply.length; i += 4) if (reply[i] !== null) out.push(this.fromReply(reply[i], reply[i + 1], reply[i + 2], reply[i + 3]));
    return out;
  }

  clear(): void {
    this.#map.clear();
  }
}

/** An arming from its fields: id, scenario, key ("" for every key), remaining, phase, params (JSON). */
export function armedFrom(f: readonly unknown[], at = 0): Armed {
  const key = String(f[at + 2]);
  return {
    id: String(f[at]), scenario: String(f[at + 1]), key: key === "" ? null : key, remaining: Number(f[at + 3]),
    phase: String(f[at + 4]) as Phase, params: JSON.parse(String(f[at + 5])) as Armed["params"],
  };
}

export function deliveryFrom(r: unknown): DeliveryRecord {
  return JSON.parse(String(r)) as DeliveryRecord;
}

/** An account view from: credits, jobs, then one usage count per rate bucket. */
export function accountFrom(key: string, f: readonly unknown[], at: number, provisioned: boolean): AccountView {
  const usage = {} as Record<RateBucket, number>;
  RATE_BUCKETS.forEach((b, i) => (usage[b] = Number(f[at + 2 + i])));
  return { key, credits: Number(f[at]), jobs: Number(f[at + 1]), usage, provisioned };
}

export const ACCOUNT_FIELDS = 2 + RATE_BUCKETS.length;
