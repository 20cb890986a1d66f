import type { MockApp } from "../http/app.js";
import { ApiError } from "../domain/errors.js";
import { maskKey, type JournalEntry } from "../domain/journal.js";
import { stateOf } from "../domain/jobs.js";
import { SCENARIO_NAMES, isScenarioName, normaliseScenarioName, type ScenarioName } from "../domain/scenarios.js";
import type { DeliveryRecord } from "../domain/deliveries.js";
import type { Tamper } from "../webhooks/dispatcher.js";
import { VERSION } from "../version.js";

export interface ClockView {
  now: string;
  now_ms: number;
  frozen: boolean;
}

/**
 * The control operations, once: the /__mock routes and createMockServer's
 * methods both call these. Every change re-arms the due timer.
 */
export class ControlPlane {
  readonly #m: MockApp;

  constructor(mock: MockApp) {
    this.#m = mock;
  }

  health() {
    return { status: "ok" as const, version: VERSION, now: new Date(this.#m.service.now()).toISOString() };
  }

  reset(key?: string): void {
    this.#m.service.reset(key);
    if (key === undefined) this.#m.journal.clear();
    this.#m.timer.poke();
  }

  clock(): ClockView {
    const c = this.#m.service.clock;
    return { now: new Date(c.now()).toISOString(), now_ms: c.now(), frozen: c.frozen };
  }

  /** Moves virtual time forward and applies everything that fell due, in time order. */
  advance(ms: number): ClockView {
    this.#m.service.advance(ms);
    this.#m.timer.poke();
    return this.clock();
  }

  freeze(): ClockView {
    this.#m.service.clock.freeze();
    this.#m.timer.poke();
    return this.clock();
  }

  resume(): ClockView {
    this.#m.service.clock.resume();
    this.#m.service.runDue();
    this.#m.timer.poke();
    return this.clock();
  }

  getAccount(key: string) {
    const acc = this.#m.service.accounts.get(key);
    if (!acc) throw new ApiError("NOT_FOUND", `No account for key ${maskKey(key)}.`);
    return { key: acc.key, credits: acc.credits, jobs: this.#m.service.jobs.listFor(key).length };
  }

  setAccount(key: string, credits: number) {
    if (!Number.isInteger(credits) || credits < 0) throw new ApiError("INVALID_REQUEST", `Invalid credits ${credits}: must be a non-negative integer.`);
    this.#m.service.accounts.set(key, credits, this.#m.service.now());
    return this.getAccount(key);
  }

  /** After this the key gets 401 until it is set again. */
  deleteAccount(key: string): void {
    this.#m.service.accounts.delete(key);
    this.#m.service.reset(key);
    this.#m.service.accounts.delete(key);
  }

  /** Arms `scenario` (either spelling) for the next `count` submits of `key`, or of every key when null. */
  armScenario(scenario: ScenarioName, key: string | null = null, count = 1) {
    const name = normaliseScenarioName(scenario);
    if (!isScenarioName(name)) throw new ApiError("INVALID_REQUEST", `Unknown scenario "${scenario}". Known: ${SCENARIO_NAMES.join(", ")}.`);
    if (!Number.isInteger(count) || count < 1) throw new ApiError("INVALID_REQUEST", `Invalid count ${count}: must be a positive integer.`);
    return this.#m.service.armed.arm(name, key, count);
  }

  listScenarios() {
    return this.#m.service.armed.list();
  }

  disarm(filter: { id?: string; key?: string } = {}): number {
    return this.#m.service.armed.disarm(filter);
  }

  jobs(key?: string) {
    const s = this.#m.service;
    const now = s.now();
    const list = key === undefined ? [...s.jobs.all()] : s.jobs.listFor(key);
    return list.map((j) => ({
      job_id: j.id, key: maskKey(j.key), kind: j.kind, model_id: j.model.id, status: stateOf(j, now), scenario: j.scenario,
      created_at: new Date(j.createdAt).toISOString(), processing_at: new Date(j.processingAt).toISOString(),
      finished_at: new Date(j.finishedAt).toISOString(), expires_at: new Date(j.expiresAt).toISOString(),
      webhook_url: j.webhook?.url ?? null,
    }));
  }

  webhooks(jobId?: string): DeliveryRecord[] {
    return this.#m.service.deliveries.list(jobId === undefined ? {} : { jobId }).map((d) => ({ ...d }));
  }

  /** Sends a delivery again; the dispatcher re-signs the first delivery's body, so tampering never carries over. */
  redeliver(deliveryId: string, tamper: Tamper | null = null): DeliveryRecord {
    const original = this.#m.service.deliveries.get(deliveryId);
    if (!original || !this.#m.service.jobs.get(original.jobId)) throw new ApiError("NOT_FOUND", `No delivery ${deliveryId} (or its job expired).`);
    return { ...this.#m.dispatcher.redeliver(original, tamper) };
  }

  /** Resolves when every delivery started so far has settled; handy in tests. */
  async webhooksSettled(): Promise<void> {
    await this.#m.dispatcher.settled();
  }

  requests(limit = 100): { requests: JournalEntry[] } {
    return { requests: this.#m.journal.latest(limit) };
  }
}
