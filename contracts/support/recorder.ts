import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redactor } from "../../src/contract/redact.js";
import { redactExchange, redactWebhook, type RawExchange, type RawWebhook } from "../../src/contract/record-exchange.js";
import { RECORDING_FORMAT, type RecordedExchange, type RecordedTest, type RecordedWebhook } from "../../src/contract/recording.js";

/**
 * `--record DIR`, inside the suite: every exchange and webhook is redacted the
 * moment it is seen and kept in memory; the test's file is written when the
 * test ends. Nothing unredacted reaches the disk, not even a temp file.
 */
const env = process.env;
const dir = env.AE_CONTRACT_RECORD_DIR || null;
const redactor = dir
  ? new Redactor([env.AE_API_KEY ?? "", env.AE_CONTRACT_WEBHOOK_SECRET ?? "", ...(JSON.parse(env.AE_CONTRACT_REDACT ?? "[]") as string[])], env.AE_CONTRACT_RECORD_SALT ?? "")
  : null;

let exchanges: RecordedExchange[] = [];
let webhooks: RecordedWebhook[] = [];
let startedMs = 0;

export const recording = () => redactor !== null;

/** Wall clock with sub-ms precision, monotonic within the run: orders exchanges across tests. */
export const wallNow = () => performance.timeOrigin + performance.now();

export function recordExchange(x: RawExchange): void {
  if (redactor) exchanges.push(redactExchange(redactor, x));
}

export function recordWebhook(d: RawWebhook): void {
  if (redactor) webhooks.push(redactWebhook(redactor, d));
}

export function beginTestRecording(): void {
  // Exchanges made outside a test (set-up) stay in the buffer and go to the next test's file.
  startedMs = wallNow();
}

export function endTestRecording(test: string, state: RecordedTest["state"], reason: string | null): void {
  if (!redactor || !dir) return;
  const slug = test.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 80);
  const file = `${slug}-${createHash("sha256").update(test).digest("hex").slice(0, 8)}.json`;
  const doc: RecordedTest = { format: RECORDING_FORMAT, test: redactor.text(test), state, reason: reason === null ? null : redactor.text(reason), startedMs, exchanges, webhooks };
  mkdirSync(join(dir, "tests"), { recursive: true });
  writeFileSync(join(dir, "tests", file), JSON.stringify(doc, null, 1) + "\n");
  exchanges = [];
  webhooks = [];
}
