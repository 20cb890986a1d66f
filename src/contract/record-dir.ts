import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../version.js";
import { REDACTION_RULES } from "./redact.js";
import { RECORDING_FORMAT, type RecordedTest, type RecordingIndex } from "./recording.js";

/**
 * Makes DIR ready for a recording: created if missing; a previous recording
 * in it is replaced. Anything else already there is left alone (and scanned
 * with the rest). Returns an error sentence when DIR cannot be used.
 */
export function prepareRecordDir(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true });
    const tests = join(dir, "tests");
    if (existsSync(tests)) {
      const index = join(dir, "index.json");
      const ours = existsSync(index) && (JSON.parse(readFileSync(index, "utf8")) as { format?: string }).format === RECORDING_FORMAT;
      if (!ours) return `${tests} exists and is not part of an artemotion-mock recording; choose another --record directory`;
      rmSync(tests, { recursive: true, force: true });
      rmSync(index, { force: true });
    }
    return null;
  } catch (e) {
    return `cannot use --record directory ${dir}: ${(e as Error).message}`;
  }
}

export function readRecordedTests(dir: string): { file: string; doc: RecordedTest }[] {
  const tests = join(dir, "tests");
  if (!existsSync(tests)) return [];
  return readdirSync(tests)
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({ file: `tests/${f}`, doc: JSON.parse(readFileSync(join(tests, f), "utf8")) as RecordedTest }))
    .filter((t) => t.doc.format === RECORDING_FORMAT)
    .sort((a, b) => a.doc.startedMs - b.doc.startedMs);
}

/** The index: the target, the redaction rules applied, and one line per test file in the order they ran. */
export function writeIndex(dir: string, target: RecordingIndex["target"], configuredValues: number): RecordingIndex {
  const tests = readRecordedTests(dir).map(({ file, doc }) => ({ name: doc.test, file, state: doc.state, exchanges: doc.exchanges.length, webhooks: doc.webhooks.length }));
  const index: RecordingIndex = {
    format: RECORDING_FORMAT,
    createdAt: new Date().toISOString(),
    tool: { name: "artemotion-mock", version: VERSION },
    target,
    redaction: { rules: REDACTION_RULES, configuredValues },
    tests,
    totals: { tests: tests.length, exchanges: tests.reduce((n, t) => n + t.exchanges, 0), webhooks: tests.reduce((n, t) => n + t.webhooks, 0) },
  };
  writeFileSync(join(dir, "index.json"), JSON.stringify(index, null, 2) + "\n");
  return index;
}
