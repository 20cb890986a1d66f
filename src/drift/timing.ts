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

/**
 * What is known of a job's time to terminal: exact (elapsed_ms), between two
 * polls (the terminal poll and the one before it), or only a lower bound (it
 * never finished while polled). `hi` is Infinity for a lower bound.
 */
export interface Span {
  lo: number;
  hi: number;
}

/** The classes a span can fall in; two spans differ only when these do not overlap. */
export function classesOf(kind: JobKind, t: Span): Set<TimingClass> {
  const [min, max] = DOCUMENTED_MS[kind];
  const out = new Set<TimingClass>();
  if (t.lo < min) out.add("below");
  if (t.hi >= min && t.lo <= max) out.add("within");
  if (t.hi > max) out.add("above");
  return out;
}

export function describeTiming(kind: JobKind, t: Span): string {
  const [min, max] = DOCUMENTED_MS[kind];
  const range = `the documented ${min / 1000}–${max / 1000} s`;
  const r = (n: number) => Math.round(n);
  if (t.hi === Infinity) return `> ${r(t.lo)} ms, not terminal when last polled (above ${range})`;
  if (t.lo === t.hi) return `${r(t.lo)} ms (${classify(kind, t.lo)} ${range})`;
  return `${r(t.lo)}–${r(t.hi)} ms between polls (${[...classesOf(kind, t)].join(" or ")} ${range})`;
}
