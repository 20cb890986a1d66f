import { createHash } from "node:crypto";

/** API key format from the docs' examples: ae_live_/ae_test_ and at least 8 of [A-Za-z0-9_]. */
export const API_KEY_PATTERN = /^ae_(live|test)_[A-Za-z0-9_]{8,200}$/;

/** ae_test_abcdefgh1234 → ae_test_abcd…1234: enough to tell keys apart, not enough to reuse. */
export function maskKey(key: string): string {
  const m = /^(ae_(?:live|test)_)(.*)$/.exec(key);
  if (!m) return "***";
  const rest = m[2]!;
  return rest.length <= 8 ? `${m[1]}${rest.slice(0, 2)}…` : `${m[1]}${rest.slice(0, 4)}…${rest.slice(-4)}`;
}

const KEY_ANYWHERE = /ae_(?:live|test)_[A-Za-z0-9_]{8,200}/g;
const HAS_KEY = /ae_(?:live|test)_[A-Za-z0-9_]{8}/;

/**
 * A text (a path, a URL, a message) with every API key in it masked. A key
 * that was percent-encoded is masked too, and the text is then given decoded:
 * `/jobs/ae%5Ftest%5F…` must not slip past a reader who decodes it.
 */
export function maskKeysIn(text: string): string {
  if (text.includes("ae_")) text = text.replace(KEY_ANYWHERE, maskKey);
  if (!text.includes("%")) return text;
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    return text;
  }
  return HAS_KEY.test(decoded) ? decoded.replace(KEY_ANYWHERE, maskKey) : text;
}

/**
 * A stable handle for a key that is safe to show: the control API lists keys
 * masked, and takes this handle (or the full key) wherever it takes a key.
 */
export function keyRef(key: string): string {
  return `k_${createHash("sha256").update(key).digest("hex").slice(0, 12)}`;
}

export const KEY_REF_PATTERN = /^k_[0-9a-f]{12}$/;
