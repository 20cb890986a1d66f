/**
 * Seeded chaos: at a rate, requests of the phases a profile covers meet one
 * of its faults or scenarios. Each decision is a pure function of the seed,
 * the key, the phase and that key's request ordinal in that phase, so the same
 * seed and the same per-key sequence of requests meet the same faults however
 * requests of different keys interleave.
 */
import { createHash } from "node:crypto";
import type { Phase } from "./scenarios.js";

export interface ChaosProfile {
  readonly about: string;
  /** Candidates per phase, drawn with equal weight. */
  readonly phases: Readonly<Partial<Record<Phase, readonly string[]>>>;
}

const NETWORK = ["reset", "empty_reply", "latency", "lost_response"];

export const CHAOS_PROFILES = {
  "flaky-network": {
    about: "Connections that drop: resets, empty replies, latency and lost responses.",
    phases: { submit: NETWORK, poll: NETWORK, result: ["reset", "empty_reply", "latency"] },
  },
  overloaded: {
    about: "A busy upstream: 429 with Retry-After, latency, 502 STATUS_ERROR on polls and 502 SUBMISSION_ERROR (refunded) on submits.",
    phases: { submit: ["rate_limited", "latency", "submission_error"], poll: ["rate_limited", "latency", "status_error"], result: ["latency"] },
  },
  "degraded-upstream": {
    about: "Jobs that go wrong: failed, stuck and slow-queued jobs, and webhooks that time out.",
    phases: { submit: ["job_failed", "stuck", "slow_queue"], webhook: ["webhook_timeout"] },
  },
} as const satisfies Record<string, ChaosProfile>;

export type ChaosProfileName = keyof typeof CHAOS_PROFILES;
export const CHAOS_PROFILE_NAMES = Object.keys(CHAOS_PROFILES) as ChaosProfileName[];
export const DEFAULT_CHAOS_PROFILE: ChaosProfileName = "flaky-network";

export function isChaosProfile(name: string): name is ChaosProfileName {
  return Object.hasOwn(CHAOS_PROFILES, name);
}

/** The candidates a profile has for a phase (empty when it leaves the phase alone). */
export function chaosCandidates(profile: ChaosProfileName, phase: Phase): readonly string[] {
  const p: ChaosProfile = CHAOS_PROFILES[profile];
  return p.phases[phase] ?? [];
}

export interface ChaosDecision {
  name: string;
  /** Two more uniform draws for the fault's own randomness (a lognormal delay). */
  u1: number;
  u2: number;
}

/** Four uniform numbers in [0, 1) from (seed, key, phase, ordinal). */
export function chaosDraws(seed: number, key: string, phase: Phase, ordinal: number): [number, number, number, number] {
  const h = createHash("sha256").update(`chaos\0${seed}\0${phase}\0${ordinal}\0${key}`).digest();
  const u = (i: number) => h.readUInt32LE(i * 4) / 4294967296;
  return [u(0), u(1), u(2), u(3)];
}

/** Whether the request numbered `ordinal` (1-based) of `key` in `phase` meets a fault, and which. */
export function decideChaos(seed: number, key: string, phase: Phase, ordinal: number, rate: number, profile: ChaosProfileName): ChaosDecision | null {
  const candidates = chaosCandidates(profile, phase);
  if (rate <= 0 || candidates.length === 0) return null;
  const [fire, pick, u1, u2] = chaosDraws(seed, key, phase, ordinal);
  if (fire >= rate) return null;
  return { name: candidates[Math.floor(pick * candidates.length)]!, u1, u2 };
}
