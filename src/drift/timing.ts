import type { JobKind } from "../domain/catalog.js";

/**
 * Submit-to-terminal durations the docs give (try-on 10–30 s, vision about
 * 1–3 s); generate is not documented, so the mock's realistic assumption is
 * used. test/drift-timing.test.ts checks the realistic mock stays inside them.
 */
export const DOCUMENTED_MS: Readonly<Record<JobKind, readonly [number, number]>> = {
  tryon: [10_000, 30_000],
  vision: [1_000, 3_000],
  generate: [7_000, 20_000],
};

export type TimingClass = "below" | "within" | "above";

export function classify(kind: JobKind, ms: number): TimingClass {
  const [min, max] = DOCUMENTED_MS[kind];
  return ms < min ? "below" : ms > max ? "above" : "within";
}

export function describeTiming(kind: JobKind, ms: number, atLeast = false): string {
  const [min, max] = DOCUMENTED_MS[kind];
  return `${atLeast ? "> " : ""}${Math.round(ms)} ms (${classify(kind, ms)} the documented ${min / 1000}–${max / 1000} s)`;
}
