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

/**
 * A stable handle for a key that is safe to show: the control API lists keys
 * masked, and takes this handle (or the full key) wherever it takes a key.
 */
export function keyRef(key: string): string {
  return `k_${createHash("sha256").update(key).digest("hex").slice(0, 12)}`;
}

export const KEY_REF_PATTERN = /^k_[0-9a-f]{12}$/;
