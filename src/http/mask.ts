import { API_KEY_PATTERN, keyRef, maskKeysIn } from "../domain/keys.js";

const SECRET_FIELDS = new Set(["webhook_secret", "secret"]);

/**
 * What the control API sends, with every API key masked wherever it appears
 * (a `key` field also gains its `key_ref`, the handle the control API takes
 * back) and no webhook secret. One pass at the edge, so no route can forget.
 */
export function maskSecrets(value: unknown): unknown {
  if (typeof value === "string") return maskKeysIn(value);
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_FIELDS.has(k)) continue;
    out[k] = maskSecrets(v);
    if (k === "key" && typeof v === "string" && API_KEY_PATTERN.test(v) && !("key_ref" in value)) out.key_ref = keyRef(v);
  }
  return out;
}
