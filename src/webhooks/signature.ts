import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-artemotion-signature";
export const TIMESTAMP_HEADER = "x-artemotion-timestamp";
export const EVENT_HEADER = "x-artemotion-event";
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type WebhookHeaders = Record<string, string | string[] | undefined> | Headers;

export type VerifyResult =
  | { ok: true; event: string; timestamp: number }
  | { ok: false; reason: VerifyFailureReason };

export type VerifyFailureReason =
  | "invalid_input"
  | "missing_secret"
  | "missing_signature"
  | "missing_timestamp"
  | "bad_signature_format"
  | "bad_timestamp"
  | "timestamp_out_of_tolerance"
  | "signature_mismatch"
  | "missing_event";

export interface VerifyOptions {
  toleranceSeconds?: number;
  /** Unix seconds; injectable so tests need no fake timers. */
  now?: number;
}

function hmacHex(rawBody: string | Buffer, secret: string, timestamp: number | string): string {
  // Hash prefix and body as separate updates so a Buffer body is never re-decoded as text.
  return createHmac("sha256", secret).update(`${timestamp}.`).update(rawBody).digest("hex");
}

export function signWebhook(rawBody: string | Buffer, secret: string, timestamp: number): string {
  return `v1=${hmacHex(rawBody, secret, timestamp)}`;
}

/**
 * Returns the single value of a header, undefined when absent, or null when it is
 * ambiguous (several values): a duplicated signature/timestamp must not let an
 * attacker pick which one gets checked.
 */
function readHeader(headers: unknown, name: string): string | undefined | null {
  if (headers === null || typeof headers !== "object") return undefined;
  const maybeGet = (headers as { get?: unknown }).get;
  if (typeof maybeGet === "function") {
    const v: unknown = maybeGet.call(headers, name);
    return typeof v === "string" ? v : undefined;
  }
  const values: string[] = [];
  for (const [key, raw] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const list: unknown[] = Array.isArray(raw) ? raw : [raw];
    for (const v of list) if (typeof v === "string") values.push(v);
  }
  if (values.length === 0) return undefined;
  return values.length === 1 ? values[0] : null;
}

const SIGNATURE_RE = /^v1=([0-9a-fA-F]{64})$/;
const TIMESTAMP_RE = /^\d{1,15}$/;

function verifyUnsafe(
  rawBody: unknown,
  headers: unknown,
  secret: unknown,
  opts: VerifyOptions | undefined,
): VerifyResult {
  if (typeof rawBody !== "string" && !Buffer.isBuffer(rawBody)) return { ok: false, reason: "invalid_input" };
  if (typeof secret !== "string" || secret.length === 0) return { ok: false, reason: "missing_secret" };

  const sigHeader = readHeader(headers, SIGNATURE_HEADER);
  if (sigHeader === undefined) return { ok: false, reason: "missing_signature" };
  const tsHeader = readHeader(headers, TIMESTAMP_HEADER);
  if (tsHeader === undefined) return { ok: false, reason: "missing_timestamp" };

  const match = sigHeader === null ? null : SIGNATURE_RE.exec(sigHeader.trim());
  if (!match?.[1]) return { ok: false, reason: "bad_signature_format" };
  const tsText = tsHeader?.trim();
  if (tsText === undefined || !TIMESTAMP_RE.test(tsText)) return { ok: false, reason: "bad_timestamp" };
  const timestamp = Number(tsText);

  const o = opts !== null && typeof opts === "object" ? opts : {};
  const tolerance =
    typeof o.toleranceSeconds === "number" && o.toleranceSeconds >= 0 ? o.toleranceSeconds : DEFAULT_TOLERANCE_SECONDS;
  const now = typeof o.now === "number" && Number.isFinite(o.now) ? o.now : Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: "timestamp_out_of_tolerance" };

  // Sign the header text as received, so e.g. leading zeros are not silently normalised away.
  const expected = Buffer.from(hmacHex(rawBody, secret, tsText), "hex");
  const given = Buffer.from(match[1], "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "signature_mismatch" };
  }

  // The event header is not covered by the signature; it is only checked for presence.
  const event = readHeader(headers, EVENT_HEADER)?.trim();
  if (!event) return { ok: false, reason: "missing_event" };
  return { ok: true, event, timestamp };
}

export function verifyWebhook(
  rawBody: string | Buffer,
  headers: WebhookHeaders,
  secret: string,
  opts?: VerifyOptions,
): VerifyResult {
  try {
    return verifyUnsafe(rawBody, headers, secret, opts);
  } catch {
    // Hostile inputs (throwing getters, proxies) must yield a rejection, never an exception.
    return { ok: false, reason: "invalid_input" };
  }
}
