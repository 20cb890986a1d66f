import type { Redactor } from "./redact.js";
import { MAX_RECORDED_BODY, type ExchangeKind, type RecordedExchange, type RecordedWebhook, type TruncatedBody } from "./recording.js";

/** What the suite's client saw, before redaction. Never written as is. */
export interface RawExchange {
  kind: ExchangeKind;
  operationId: string | null;
  startedMs: number;
  durationMs: number;
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string | undefined;
  status: number;
  responseHeaders: Record<string, string>;
  /** Text, or the byte length of a binary answer. */
  responseBody: string | { binaryBytes: number };
}

export interface RawWebhook {
  receivedAt: number;
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  rawBody: string;
  verification: { ok: boolean; reason?: string } | null;
}

function body(r: Redactor, text: string): { body?: unknown; bodyText?: string; bodyTruncated?: TruncatedBody } {
  if (text.length > MAX_RECORDED_BODY) return { bodyTruncated: { bytes: Buffer.byteLength(text), head: r.text(text.slice(0, 512)) } };
  try {
    return { body: r.value(JSON.parse(text)) };
  } catch {
    return { bodyText: r.text(text) };
  }
}

function parseQuery(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/**
 * Redacts one exchange. Secrets in the request body are learned first, so a
 * webhook_secret echoed anywhere else in the same exchange is caught too.
 */
export function redactExchange(r: Redactor, x: RawExchange): RecordedExchange {
  if (x.requestBody !== undefined && x.requestBody.length <= MAX_RECORDED_BODY) {
    try {
      r.learnFrom(JSON.parse(x.requestBody));
    } catch { /* not JSON */ }
  }
  const url = new URL(x.url);
  const response = typeof x.responseBody === "string" ? body(r, x.responseBody) : { binaryBytes: x.responseBody.binaryBytes };
  return {
    kind: x.kind,
    operationId: x.operationId,
    time: new Date(x.startedMs).toISOString(),
    startedMs: x.startedMs,
    durationMs: Math.round(x.durationMs * 100) / 100,
    request: {
      method: x.method,
      url: r.text(x.url),
      path: r.text(url.pathname),
      query: r.value(parseQuery(url)) as Record<string, string | string[]>,
      headers: r.headers(x.requestHeaders),
      ...(x.requestBody === undefined ? {} : body(r, x.requestBody)),
    },
    response: { status: x.status, headers: r.headers(x.responseHeaders), ...response },
  };
}

export function redactWebhook(r: Redactor, d: RawWebhook): RecordedWebhook {
  const headers = Object.fromEntries(Object.entries(d.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]));
  return {
    time: new Date(d.receivedAt).toISOString(),
    startedMs: d.receivedAt,
    method: d.method,
    path: r.text(d.path),
    headers: r.headers(headers),
    rawBody: r.text(d.rawBody),
    verification: d.verification === null ? null : { ok: d.verification.ok, reason: d.verification.reason ?? null },
  };
}
