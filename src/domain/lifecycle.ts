import type { JobKind } from "./catalog.js";
import { between, type Rng } from "./random.js";
import type { ScenarioName } from "./scenarios.js";

export type Timing = "realistic" | "fast" | "instant";
export const TIMINGS: readonly Timing[] = ["realistic", "fast", "instant"];

export interface Plan {
  queueMs: number;
  processingMs: number;
  /** queue_position at submit; it counts down to 0 over queueMs. */
  queueStart: number;
  outcome: "completed" | "failed";
}

/**
 * Phase lengths in ms, [min, max]. Realistic follows the docs: try-on 10–30 s
 * end to end, vision about 1–3 s, each with a queue phase.
 */
const REALISTIC: Record<JobKind, { queue: [number, number]; processing: [number, number]; position: [number, number] }> = {
  tryon: { queue: [2_000, 8_000], processing: [8_000, 22_000], position: [1, 6] },
  generate: { queue: [1_000, 5_000], processing: [6_000, 15_000], position: [1, 4] },
  vision: { queue: [200, 800], processing: [800, 2_200], position: [0, 2] },
};
const FAST = { queue: [50, 250] as [number, number], processing: [100, 500] as [number, number], position: [0, 2] as [number, number] };

export const SLOW_QUEUE = { queueMs: 180_000, queueStart: 30 };
export const STUCK_PROCESSING_MS = 600_000;

export function planJob(kind: JobKind, timing: Timing, rng: Rng, scenario: ScenarioName | null): Plan {
  const r = timing === "realistic" ? REALISTIC[kind] : FAST;
  const plan: Plan =
    timing === "instant"
      ? { queueMs: 0, processingMs: 0, queueStart: 0, outcome: "completed" }
      : { queueMs: between(rng, ...r.queue), processingMs: between(rng, ...r.processing), queueStart: between(rng, ...r.position), outcome: "completed" };
  if (scenario === "job_failed") plan.outcome = "failed";
  if (scenario === "slow_queue") Object.assign(plan, SLOW_QUEUE);
  if (scenario === "stuck") Object.assign(plan, { processingMs: STUCK_PROCESSING_MS, outcome: "failed" });
  return plan;
}

export type JobState = "queued" | "processing" | "completed" | "failed";

export interface Timeline {
  createdAt: number;
  processingAt: number;
  finishedAt: number;
  outcome: "completed" | "failed";
  queueStart: number;
}

/** State is derived from the timestamps and the clock: no timer per job. */
export function stateAt(t: Timeline, now: number): JobState {
  if (now >= t.finishedAt) return t.outcome;
  if (now >= t.processingAt) return "processing";
  return "queued";
}

export function queuePositionAt(t: Timeline, now: number): number {
  const queueMs = t.processingAt - t.createdAt;
  if (queueMs <= 0) return 0;
  const left = Math.max(0, t.processingAt - now);
  return Math.min(t.queueStart, Math.floor((t.queueStart * left) / queueMs));
}
