import { CHAOS_PROFILES, CHAOS_PROFILE_NAMES, chaosCandidates, chaosDraws, decideChaos, isChaosProfile, type ChaosProfileName } from "../domain/chaos.js";
import { ApiError } from "../domain/errors.js";
import { WEBHOOK_FAULTS, faultParams, isFaultName, latencyMs, parseFaultHeader, type FaultName, type FaultParams } from "../domain/faults.js";
import { armableAt, registryEntry } from "../domain/registry.js";
import type { Armed, Phase } from "../domain/scenarios.js";
import type { MaybePromise, Store } from "../store/types.js";
import { ArmedPhases } from "./armed-phases.js";

/** One fault (or scenario) decided for one request or delivery. */
export interface Injection {
  readonly name: string;
  readonly kind: "scenario" | "fault";
  readonly phase: Phase;
  readonly params: FaultParams;
  /** How it was named: a header, a magic image host, an arming, chaos, or the job (set up at its submit). */
  readonly source: "header" | "magic" | "armed" | "chaos" | "job";
  /** The wait of a latency fault, drawn when decided. */
  readonly delayMs: number;
}

export interface ChaosView {
  rate: number;
  profile: ChaosProfileName;
  seed: number;
  /** Parameters chaos uses per fault instead of the defaults (e.g. shorter latency in tests). */
  params: Record<string, FaultParams>;
  profiles: Record<string, { about: string; phases: Record<string, readonly string[]> }>;
}

export interface ChaosPatch {
  rate?: number;
  profile?: string;
  params?: Record<string, Record<string, string | number>>;
}

/** The counter every injected fault is counted in; the field is `name|phase|key`. */
export const FAULT_COUNTER = "faults";
const CHAOS_COUNTER = "chaos";
const NO_KEY = "-";

const notAt = (name: string, phase: Phase, phases: readonly Phase[]) =>
  new ApiError("INVALID_REQUEST", `Fault ${name} does not apply to a ${phase} request (it applies to: ${phases.join(", ")}).`);

/**
 * Decides which fault a request meets: the X-Mock-Fault header, then a magic
 * image host, then an arming, then seeded chaos. `active` is the one flag the
 * hot path reads: false while chaos is off and nothing is armed, so a request
 * without the header does no fault work at all.
 */
export class FaultEngine {
  active = false;
  readonly seed: number;
  #store: Store;
  #rate: number;
  #profile: ChaosProfileName;
  #params: Record<string, FaultParams> = {};
  #armed: ArmedPhases;
  #draws = 0;

  constructor(store: Store, o: { rate: number; profile: ChaosProfileName; seed: number }) {
    this.#store = store;
    this.#rate = o.rate;
    this.#profile = o.profile;
    this.seed = o.seed;
    this.#armed = new ArmedPhases(store, () => this.#refresh());
    this.#refresh();
  }

  #refresh(): void {
    this.active = this.#rate > 0 || this.#armed.total > 0;
  }

  close(): void {
    this.#armed.close();
  }

  chaos(): ChaosView {
    const profiles = Object.fromEntries(CHAOS_PROFILE_NAMES.map((n) => [n, { about: CHAOS_PROFILES[n].about, phases: { ...CHAOS_PROFILES[n].phases } }]));
    return { rate: this.#rate, profile: this.#profile, seed: this.seed, params: { ...this.#params }, profiles };
  }

  /** Changes the rate, profile or parameters at run time; everything is checked before anything changes. */
  setChaos(patch: ChaosPatch): ChaosView {
    const rate = patch.rate ?? this.#rate;
    if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) throw new ApiError("INVALID_REQUEST", `Invalid rate ${String(rate)}: must be a number from 0 to 1.`);
    const profile = patch.profile ?? this.#profile;
    if (!isChaosProfile(profile)) throw new ApiError("INVALID_REQUEST", `Unknown chaos profile "${profile}". Known: ${CHAOS_PROFILE_NAMES.join(", ")}.`);
    let params = this.#params;
    if (patch.params !== undefined) {
      params = {};
      for (const [name, given] of Object.entries(patch.params)) {
        if (!isFaultName(name)) throw new ApiError("INVALID_REQUEST", `Unknown fault "${name}" in params.`);
        params[name] = faultParams(name, given, "chaos params");
      }
    }
    this.#rate = rate;
    this.#profile = profile;
    this.#params = params;
    this.#refresh();
    return this.chaos();
  }

  /**
   * The fault a request of `key` (null: none known) meets at `phase`. `header`
   * is X-Mock-Fault as sent; `magic` a fault named by a magic image host. On a
   * submit, a webhook fault is returned with phase "webhook": the caller
   * attaches it to the job. Throws INVALID_REQUEST for a bad header.
   */
  decide(key: string | null, phase: Phase, header: string | undefined, magic: FaultName | null): MaybePromise<Injection | null> {
    const explicit = header !== undefined && header.trim() !== "" ? this.#named(key, phase, parseFaultHeader(header), "header") : magic !== null ? this.#named(key, phase, { name: magic, params: {} }, "magic") : null;
    const chaosOn = this.#rate > 0 && key !== null && chaosCandidates(this.#profile, phase).length > 0;
    // Every request of a covered phase takes its ordinal, named faults too, so one key's sequence numbers never depend on how it was broken.
    const ordinal = chaosOn ? this.#store.incr(CHAOS_COUNTER, `${key}|${phase}`) : 0;
    if (explicit !== null || key === null) {
      if (ordinal instanceof Promise) ordinal.catch(() => {});
      return explicit;
    }
    const armed = this.#armed.has(phase) ? this.#store.takeArmed(key, phase, armableAt(phase)) : null;
    const pick = (a: Armed | null, n: number) => (a !== null ? this.#fromArmed(key, a) : chaosOn ? this.#fromChaos(key, phase, n) : null);
    if (armed instanceof Promise || ordinal instanceof Promise) return Promise.all([armed, ordinal]).then(([a, n]) => pick(a, n));
    return pick(armed, ordinal);
  }

  /** A job's delivery: the fault named at its submit, else an arming or chaos at the webhook phase. */
  forWebhook(key: string, attached: { name: string; params: FaultParams } | null): MaybePromise<Injection | null> {
    if (attached !== null) return { name: attached.name, kind: "fault", phase: "webhook", params: attached.params, source: "job", delayMs: 0 };
    if (!this.active) return null;
    return this.decide(key, "webhook", undefined, null);
  }

  /** Counts an injection that took effect, by name, phase and key (shared by replicas). */
  count(inj: Injection, key: string | null): void {
    const r = this.#store.incr(FAULT_COUNTER, `${inj.name}|${inj.phase}|${key ?? NO_KEY}`);
    if (r instanceof Promise) r.catch(() => {});
  }

  #named(key: string | null, phase: Phase, named: { name: FaultName; params: Record<string, string | number> }, source: "header" | "magic"): Injection {
    const { name } = named;
    const entry = registryEntry(name)!;
    const attach = phase === "submit" && WEBHOOK_FAULTS.has(name);
    if (!attach && !entry.phases.includes(phase)) throw notAt(name, phase, entry.phases);
    const where = source === "header" ? "X-Mock-Fault" : "the magic image host";
    return this.#injection(name, "fault", attach ? "webhook" : phase, faultParams(name, named.params, where), source, key);
  }

  #fromArmed(key: string, a: Armed): Injection {
    const entry = registryEntry(a.scenario)!;
    const params = entry.kind === "fault" ? faultParams(a.scenario as FaultName, a.params, "arming") : {};
    return this.#injection(entry.name, entry.kind, a.phase, params, "armed", key);
  }

  #fromChaos(key: string, phase: Phase, ordinal: number): Injection | null {
    const d = decideChaos(this.seed, key, phase, ordinal, this.#rate, this.#profile);
    if (d === null) return null;
    const entry = registryEntry(d.name)!;
    const params = entry.kind === "fault" ? { ...faultParams(d.name as FaultName, null, "chaos"), ...this.#params[d.name] } : {};
    return { name: d.name, kind: entry.kind, phase, params, source: "chaos", delayMs: d.name === "latency" ? latencyMs(params, d.u1, d.u2) : 0 };
  }

  #injection(name: string, kind: "scenario" | "fault", phase: Phase, params: FaultParams, source: Injection["source"], key: string | null): Injection {
    let delayMs = 0;
    if (name === "latency") {
      // Seeded too, so a run with the same seed and requests waits the same.
      const [, , u1, u2] = chaosDraws(this.seed, key ?? NO_KEY, phase, -++this.#draws);
      delayMs = latencyMs(params, u1, u2);
    }
    return { name, kind, phase, params, source, delayMs };
  }
}
