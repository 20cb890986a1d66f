import { findModel, type JobKind } from "./catalog.js";
import { Accounts, type Account } from "./accounts.js";
import { VirtualClock } from "./clock.js";
import { DeliveryLog } from "./deliveries.js";
import { ApiError } from "./errors.js";
import { EventQueue } from "./event-queue.js";
import { RESULT_TTL_MS, STATUS_ERROR_POLLS, JobStore, stateOf, viewOf, type Job, type JobView } from "./jobs.js";
import { planJob, type Timing } from "./lifecycle.js";
import { createIdSource, rngFrom } from "./random.js";
import { RateLimiter, rateLimitError } from "./rate-limits.js";
import { ArmedScenarios, type ScenarioName } from "./scenarios.js";
import { resolveSubmit } from "./submit-rules.js";
import type { WebhookPolicy } from "./webhook-policy.js";

export interface ServiceOptions {
  seed: number | null;
  timing: Timing;
  credits: number;
  rateLimits: boolean;
  wallNow?: () => number;
  /** Where webhook_url may point (checked at submit); open, as on a loopback bind, when absent. */
  webhookPolicy?: WebhookPolicy;
}

export interface SubmitResponse {
  job_id: string;
  model_id: string;
  status: "queued";
  credits_used: number;
  credits_left: number;
  poll_url: string;
}

type DueEvent = { type: "terminal" | "expire"; jobId: string };

/**
 * The mock's state and rules, free of HTTP: accounts, jobs on a virtual
 * clock, rate limits, scenarios and the delivery log. Webhook transport is
 * plugged in through `onTerminal`.
 */
export class MockService {
  readonly clock: VirtualClock;
  readonly accounts: Accounts;
  readonly jobs = new JobStore();
  readonly limiter: RateLimiter;
  readonly armed = new ArmedScenarios();
  readonly deliveries = new DeliveryLog();
  readonly options: Readonly<ServiceOptions>;
  /** Called once when a job with a webhook first reaches a terminal state, in time order. */
  onTerminal: (job: Job, at: number) => void = () => {};
  #due = new EventQueue<DueEvent>();
  #nextId: () => string;
  /** One copy of each origin string for every job that uses it (memory at 100k jobs); bounded, since hosts come from requests. */
  #origins = new Map<string, string>();

  constructor(options: ServiceOptions) {
    this.options = options;
    this.clock = new VirtualClock(options.wallNow);
    this.accounts = new Accounts(options.credits);
    this.limiter = new RateLimiter(options.rateLimits);
    this.#nextId = createIdSource(options.seed);
  }

  now(): number {
    return this.clock.now();
  }

  authenticate(key: string): Account {
    return this.accounts.authenticate(key, this.now());
  }

  /**
   * Submit, after schema validation. `scenario` is the header's or the magic
   * URL's; an armed one is used only when neither applies.
   */
  submit(
    input: { key: string; kind: JobKind; body: Record<string, unknown>; origin: string; scenario: ScenarioName | null },
    /** Filled with the scenario that applied (an armed one included) even when submit throws, for the journal. */
    resolved: { scenario: ScenarioName | null } = { scenario: null },
  ): SubmitResponse {
    this.runDue();
    const now = this.now();
    const account = this.authenticate(input.key);
    const req = resolveSubmit(input.kind, input.body, this.options.webhookPolicy);
    const scenario = input.scenario ?? this.armed.take(input.key, req.model);
    resolved.scenario = scenario;
    const cost = req.model.credits;
    switch (scenario) {
      case "rate_limited": throw rateLimitError(input.kind, 60);
      case "insufficient_credits": throw new ApiError("INSUFFICIENT_CREDITS", `Insufficient credits. Required: ${cost}, available: 0.`);
      case "image_fetch_403": throw new ApiError("IMAGE_ERROR", "Image error: Failed to fetch image: HTTP 403");
      case "image_fetch_404": throw new ApiError("IMAGE_ERROR", "Image error: Failed to fetch image: HTTP 404");
      case "image_too_large": throw new ApiError("IMAGE_ERROR", "Image error: Image exceeds 10 MB");
      case "private_url": throw new ApiError("IMAGE_ERROR", "Image error: Private URLs not allowed");
    }
    this.limiter.check(input.key, input.kind, now);
    this.accounts.charge(account, cost);
    if (scenario === "submission_error") {
      this.accounts.refund(account, cost);
      throw new ApiError("SUBMISSION_ERROR", "Failed to submit job: upstream timeout");
    }
    const id = this.#nextId();
    const seed = `${this.options.seed ?? "random"}:${id}`;
    const plan = planJob(input.kind, this.options.timing, rngFrom(`plan:${seed}`), scenario);
    const processingAt = now + plan.queueMs;
    const finishedAt = processingAt + plan.processingMs;
    const job: Job = {
      id, key: account.key, kind: input.kind, model: req.model, origin: this.#sharedOrigin(input.origin),
      createdAt: now, processingAt, finishedAt, outcome: plan.outcome, queueStart: plan.queueStart,
      garmentType: req.garmentType, vision: req.vision, prompt: req.prompt, webhook: req.webhook,
      scenario, statusErrorsLeft: scenario === "status_error" ? STATUS_ERROR_POLLS : 0,
      seed, expiresAt: finishedAt + RESULT_TTL_MS,
    };
    this.jobs.add(job);
    this.limiter.record(input.key, input.kind, now);
    if (job.webhook) this.#due.push(finishedAt, { type: "terminal", jobId: id });
    this.#due.push(job.expiresAt, { type: "expire", jobId: id });
    this.runDue();
    const body: SubmitResponse = {
      job_id: id,
      model_id: req.model.id,
      status: "queued",
      credits_used: cost,
      credits_left: account.credits,
      poll_url: `${input.origin}/api/v1/jobs/${encodeURIComponent(id)}?model_id=${encodeURIComponent(req.model.id)}`,
    };
    return body;
  }

  #sharedOrigin(origin: string): string {
    const known = this.#origins.get(origin);
    if (known !== undefined) return known;
    if (this.#origins.size < 64) this.#origins.set(origin, origin);
    return origin;
  }

  poll(input: { key: string; jobId: string; modelId: string; origin: string; scenario: ScenarioName | null }): JobView {
    this.runDue();
    const now = this.now();
    this.authenticate(input.key);
    const model = resolvePollModel(input.modelId);
    const job = this.jobs.getFor(input.key, input.jobId, now);
    // A model that does not match finds nothing upstream, like an unknown id.
    if (!job || job.model !== model) throw new ApiError("NOT_FOUND", `Job not found: "${input.jobId}" (model_id "${input.modelId}").`);
    if (input.scenario === "rate_limited") throw rateLimitError("poll", 60);
    this.limiter.check(input.key, "poll", now);
    this.limiter.record(input.key, "poll", now);
    if (input.scenario === "status_error") throw statusError();
    if (job.statusErrorsLeft > 0) {
      job.statusErrorsLeft -= 1;
      throw statusError();
    }
    return viewOf(job, now, input.origin);
  }

  /** Applies everything that fell due up to now, in time order: webhooks and expiry. */
  runDue(): void {
    const now = this.now();
    for (let ev = this.#due.popDue(now); ev; ev = this.#due.popDue(now)) {
      const job = this.jobs.get(ev.value.jobId);
      if (!job) continue;
      if (ev.value.type === "terminal") {
        this.onTerminal(job, ev.at);
      } else {
        this.jobs.remove(job.id);
        this.deliveries.removeJob(job.id);
      }
    }
  }

  nextDueAt(): number | undefined {
    return this.#due.peekTime();
  }

  advance(ms: number): number {
    const now = this.clock.advance(ms);
    this.runDue();
    return now;
  }

  /** A job by id for serving its CDN assets, while it lives. */
  jobForAsset(id: string): Job | undefined {
    const job = this.jobs.get(id);
    const now = this.now();
    return job && now < job.expiresAt && stateOf(job, now) === "completed" ? job : undefined;
  }

  reset(key?: string): void {
    if (key === undefined) {
      this.jobs.clear();
      this.deliveries.clear();
      this.#due.clear();
      this.armed.disarm();
    } else {
      for (const job of this.jobs.removeKey(key)) this.deliveries.removeJob(job.id);
      this.armed.disarm({ key });
    }
    this.accounts.reset(key);
    this.limiter.reset(key);
  }
}

function resolvePollModel(modelId: string) {
  // A plain lookup, not a throw-and-catch per catalog: polls are the hot path, and the
  // exceptions cost a vision or generate poll about 14 % of its throughput.
  const model = findModel(modelId);
  if (model) return model;
  throw new ApiError("INVALID_MODEL", `Unknown model_id "${modelId}". GET /api/v1/models or /api/v1/vision for the model lists.`);
}

function statusError(): ApiError {
  return new ApiError("STATUS_ERROR", "Failed to get job status: upstream unreachable");
}
