import { createHmac } from "node:crypto";

/** Full keys and the masked form the control API prints (ae_test_abcd…1234). */
const KEY_RE = /ae_(?:live|test)_[A-Za-z0-9_]*(?:…[A-Za-z0-9_]*)?/g;
const FULL_KEY = /^ae_(?:live|test)_[A-Za-z0-9_]{8,200}$/;
/** JSON fields and headers whose whole value is a secret, wherever they appear. */
export const SECRET_NAME = /secret|passw|token|api[-_]?key|signature|credential|authorization|cookie/i;
/** A URL whose query carries one of these is a signed URL: its whole query string goes. */
const SIGNED_PARAM = /sig|token|credential|policy|key-pair-id|^x-amz-|^x-goog-/i;
const URL_RE = /https?:\/\/[^\s"'<>\\]+/g;
const SIGNATURE_VALUE = /^([A-Za-z0-9_-]+)=([0-9a-fA-F]+)$/;

export const REDACTION_RULES = [
  "Authorization and other credential headers (cookies, admin tokens)",
  "ArtEmotion API keys (live and test prefixes) anywhere, full or masked",
  "fields named like secret, token, password, api_key, signature, credential (webhook_secret included)",
  "webhook signatures (the scheme and length are kept, e.g. v1=<redacted:hex64>)",
  "query strings of signed URLs, and user:password@ in URLs",
  "every value given with --redact (raw, URL-encoded and JSON-escaped)",
];

/** Byte-wise %XX decoding that never throws (enough to expose an ASCII secret). */
export function percentDecode(s: string): string {
  return s.includes("%") ? s.replace(/%[0-9A-Fa-f]{2}/g, (m) => String.fromCharCode(parseInt(m.slice(1), 16))) : s;
}

/**
 * Replaces secrets with placeholders before anything is written. Placeholders
 * are stable within a run (an HMAC under a salt that is never written), so a
 * replay can tell two keys or two webhook secrets apart without knowing them.
 */
export class Redactor {
  readonly #salt: string;
  readonly #values = new Set<string>();

  constructor(secrets: readonly string[], salt: string) {
    this.#salt = salt;
    for (const s of secrets) this.learn(s);
  }

  /** Adds a value to redact from now on (a webhook_secret seen in a request body). */
  learn(secret: string): void {
    if (secret.length >= 4) this.#values.add(secret);
  }

  placeholder(kind: string, value: string): string {
    return `<redacted:${kind}-${createHmac("sha256", this.#salt).update(value).digest("hex").slice(0, 10)}>`;
  }

  /** Learns every secret-named string field of a body, so the value is redacted wherever else it appears. */
  learnFrom(value: unknown, name = ""): void {
    if (typeof value === "string" && SECRET_NAME.test(name)) this.learn(value);
    else if (Array.isArray(value)) for (const v of value) this.learnFrom(v, name);
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) this.learnFrom(v, k);
  }

  text(s: string): string {
    // A secret hidden behind any percent-encoding (%2D for "-") is caught in the decoded text.
    const decoded = percentDecode(s);
    let out = decoded !== s && [...this.#values].some((v) => decoded.includes(v)) ? decoded : s;
    for (const v of this.#values) {
      const ph = this.placeholder(FULL_KEY.test(v) ? "key" : "secret", v);
      for (const form of new Set([v, encodeURIComponent(v), JSON.stringify(v).slice(1, -1)])) {
        if (out.includes(form)) out = out.split(form).join(ph);
      }
    }
    out = out.replace(KEY_RE, (k) => (FULL_KEY.test(k) ? this.placeholder("key", k) : "<redacted:key>"));
    return out.replace(URL_RE, (u) => this.#url(u));
  }

  /** Any JSON value; `name` is the field it sits in. */
  value(v: unknown, name = ""): unknown {
    if (typeof v === "string") return SECRET_NAME.test(name) ? this.#whole(name, v) : this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.value(x, name));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.text(k), this.value(x, k)]));
    return v;
  }

  headers(h: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), SECRET_NAME.test(k) ? this.#whole(k, v) : this.text(v)]));
  }

  #whole(name: string, v: string): string {
    if (/signature/i.test(name)) {
      const m = SIGNATURE_VALUE.exec(v);
      if (m) return `${m[1]}=<redacted:hex${m[2]!.length}>`;
    }
    if (/authorization/i.test(name)) {
      const [scheme, token] = v.split(/\s+/, 2);
      if (token !== undefined) return `${scheme} ${FULL_KEY.test(token) ? this.placeholder("key", token) : this.placeholder("auth", token)}`;
    }
    if (FULL_KEY.test(v)) return this.placeholder("key", v);
    this.learn(v);
    return this.placeholder("secret", v);
  }

  #url(raw: string): string {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return raw;
    }
    let out = raw;
    if (u.username || u.password) out = out.replace(`${u.username}${u.password ? `:${u.password}` : ""}@`, "<redacted:userinfo>@");
    const names = [...u.searchParams.keys()];
    if (names.some((n) => SIGNED_PARAM.test(n))) out = out.slice(0, out.indexOf("?")) + "?<redacted:signed-query>";
    return out;
  }
}
