/**
 * A difference between a recording (what the recorded target answered, "live")
 * and a replay of the same requests against a mock. Graded from the point of
 * view of an integrator who built against the mock:
 * - breaking: code written against the mock would fail on the recorded target;
 * - behavioural: same shapes, different behaviour (timing, sequences, prices, limits);
 * - additive: the recorded target sends something the mock does not.
 */
export type Grade = "breaking" | "behavioural" | "additive";
export const GRADES: readonly Grade[] = ["breaking", "behavioural", "additive"];

export type Category = "schema" | "headers" | "behaviour";

export type DiffKind =
  | "status" | "content-type" | "field-missing" | "field-extra" | "type" | "enum" | "enum-unknown" | "enum-extra" | "enum-missing"
  | "value" | "url-shape" | "header-missing" | "header-extra" | "header-value" | "sequence" | "timing" | "webhook-count" | "signature";

export interface Difference {
  grade: Grade;
  category: Category;
  kind: DiffKind;
  /** "submitVision 202", "job moondream3-preview/caption", "webhook job.completed". */
  where: string;
  /** A JSON path into the body ("$.models[*].credits"), or headers.<name>, status, time_to_terminal. */
  path: string;
  /** The recorded target's value and the mock's. */
  recorded: unknown;
  mock: unknown;
  count: number;
  /** Recorded tests in which it was seen. */
  tests: string[];
  proposal: string;
}

export type NewDifference = Omit<Difference, "count" | "tests" | "proposal">;

/** Does a difference of this grade fail a run with --fail-on `threshold`? */
export function fails(grade: Grade, threshold: Grade): boolean {
  return GRADES.indexOf(grade) <= GRADES.indexOf(threshold);
}
