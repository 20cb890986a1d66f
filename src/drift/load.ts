import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readRecordedTests } from "../contract/record-dir.js";
import { RECORDING_FORMAT, type RecordedExchange, type RecordedWebhook, type RecordingIndex } from "../contract/recording.js";

export interface LoadedExchange extends RecordedExchange {
  test: string;
}

export interface LoadedWebhook extends RecordedWebhook {
  test: string;
}

export interface Recording {
  dir: string;
  index: RecordingIndex;
  /** Every exchange of every test, in the order they were made. */
  exchanges: LoadedExchange[];
  webhooks: LoadedWebhook[];
}

/** Reads DIR/index.json and the test files; throws a sentence a user can act on. */
export function loadRecording(dir: string): Recording {
  const indexPath = join(dir, "index.json");
  if (!existsSync(indexPath)) throw new Error(`${dir} holds no recording (no index.json); make one with \`artemotion-mock contract --record ${dir}\``);
  let index: RecordingIndex;
  try {
    index = JSON.parse(readFileSync(indexPath, "utf8")) as RecordingIndex;
  } catch (e) {
    throw new Error(`${indexPath} is not JSON: ${(e as Error).message}`);
  }
  if (index.format !== RECORDING_FORMAT) throw new Error(`${indexPath} is not an ${RECORDING_FORMAT} index (format ${JSON.stringify(index.format)})`);
  const tests = readRecordedTests(dir);
  const missing = index.tests.filter((t) => !tests.some((x) => x.file === t.file));
  if (missing.length) throw new Error(`${dir} is incomplete: ${missing.length} test file(s) named in index.json are missing, e.g. ${missing[0]!.file}`);
  const exchanges = tests.flatMap(({ doc }) => doc.exchanges.map((x) => ({ ...x, test: doc.test })));
  exchanges.sort((a, b) => a.startedMs - b.startedMs);
  const webhooks = tests.flatMap(({ doc }) => doc.webhooks.map((w) => ({ ...w, test: doc.test })));
  webhooks.sort((a, b) => a.startedMs - b.startedMs);
  return { dir, index, exchanges, webhooks };
}
