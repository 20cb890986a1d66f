import type { Timing } from "../domain/lifecycle.js";

/**
 * The on-disk format of `artemotion-mock contract --record DIR`: DIR/index.json
 * plus one DIR/tests/<name>.json per test. Everything in it has been redacted
 * (src/contract/redact.ts) before it was written; `drift` reads it back.
 */
export const RECORDING_FORMAT = "artemotion-mock-recording/1";

/** Bodies larger than this are kept as a redacted head and a byte count (a 33 MiB 413 probe, an image). */
export const MAX_RECORDED_BODY = 256 * 1024;

export interface TruncatedBody {
  bytes: number;
  head: string;
}

export interface RecordedRequest {
  method: string;
  /** Full URL as sent (redacted). */
  url: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  /** Parsed JSON when the body was JSON, else absent. */
  body?: unknown;
  /** The raw text when the body was not JSON. */
  bodyText?: string;
  bodyTruncated?: TruncatedBody;
}

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  bodyText?: string;
  bodyTruncated?: TruncatedBody;
  /** Set for non-text answers (result images): only the size is kept. */
  binaryBytes?: number;
}

/** api: the public API through the checked client; control: /__mock; fetch: anything else (result images). */
export type ExchangeKind = "api" | "control" | "fetch";

export interface RecordedExchange {
  kind: ExchangeKind;
  operationId: string | null;
  /** Wall clock at the start, ISO, and as epoch ms with sub-ms precision (orders exchanges across tests). */
  time: string;
  startedMs: number;
  durationMs: number;
  request: RecordedRequest;
  response: RecordedResponse;
}

export interface RecordedWebhook {
  time: string;
  startedMs: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The body exactly as received, redacted. */
  rawBody: string;
  /** What the suite's receiver concluded with the secret it gave, before redaction; null without a secret. */
  verification: { ok: boolean; reason: string | null } | null;
}

export interface RecordedTest {
  format: typeof RECORDING_FORMAT;
  test: string;
  state: "passed" | "failed" | "skipped";
  reason: string | null;
  startedMs: number;
  exchanges: RecordedExchange[];
  webhooks: RecordedWebhook[];
}

export interface RecordingIndex {
  format: typeof RECORDING_FORMAT;
  createdAt: string;
  tool: { name: string; version: string };
  target: { baseUrl: string; isMock: boolean; timing: Timing | null };
  redaction: { rules: string[]; configuredValues: number };
  tests: { name: string; file: string; state: RecordedTest["state"]; exchanges: number; webhooks: number }[];
  totals: { tests: number; exchanges: number; webhooks: number };
}
