import { createRequire } from "node:module";
import type { parseDocument as ParseDocument } from "yaml";
import { API_KEY_PATTERN } from "./keys.js";

/**
 * Which API keys the mock serves.
 * - auto: any well-formed key, provisioned with `credits` when first charged, up to `maxKeys` accounts.
 * - file: exactly the keys of a --keys file, each with its own starting credits; any other key is 401.
 */
export type KeyPolicy =
  | { readonly mode: "auto"; readonly credits: number; readonly maxKeys: number }
  | { readonly mode: "file"; readonly source: string; readonly keys: ReadonlyMap<string, number> };

export class KeyFileError extends Error {
  override name = "KeyFileError";
}

export const MAX_CREDITS = 1e12;

const shown = (v: unknown) => {
  const s = typeof v === "string" ? `"${v}"` : JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
};

/**
 * Parses a keys file, JSON or YAML (YAML 1.2 reads JSON as it is). Two forms:
 * - a map of key to starting credits: `{ "ae_test_alice0001": 500, "ae_test_bob00001": 0 }`;
 * - a list whose items are a key (starting with `defaultCredits`, i.e. --credits)
 *   or `{ key, credits }`: `["ae_test_alice0001", { "key": "ae_test_bob00001", "credits": 0 }]`.
 * Every error names the source and the entry.
 */
export function parseKeyFile(text: string, source: string, defaultCredits: number): Map<string, number> {
  const fail = (why: string): never => {
    throw new KeyFileError(`${source}: ${why}`);
  };
  // yaml is loaded only when a keys file is read: the default start (--keys auto) never needs it.
  const { parseDocument } = createRequire(import.meta.url)("yaml") as { parseDocument: typeof ParseDocument };
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : "";
    fail(`not valid JSON or YAML${at}: ${e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`);
  }
  const data: unknown = doc.toJS();
  const keys = new Map<string, number>();
  const add = (entry: string, key: unknown, credits: unknown) => {
    if (typeof key !== "string" || !API_KEY_PATTERN.test(key)) {
      fail(`${entry}: ${shown(key)} is not an API key (ae_test_ or ae_live_ and at least 8 of A-Z, a-z, 0-9, _)`);
    }
    if (typeof credits !== "number" || !Number.isInteger(credits) || credits < 0 || credits > MAX_CREDITS) {
      fail(`${entry}: credits must be a whole number from 0 to ${MAX_CREDITS}, not ${shown(credits)}`);
    }
    if (keys.has(key as string)) fail(`${entry}: ${shown(key)} is listed twice`);
    keys.set(key as string, credits as number);
  };
  if (Array.isArray(data)) {
    data.forEach((item: unknown, i) => {
      const entry = `entry ${i + 1}`;
      if (typeof item === "string") return add(entry, item, defaultCredits);
      if (item === null || typeof item !== "object" || Array.isArray(item)) return fail(`${entry}: must be a key or { "key": …, "credits": … }, not ${shown(item)}`);
      const { key, credits = defaultCredits, ...rest } = item as Record<string, unknown>;
      const extra = Object.keys(rest)[0];
      if (extra !== undefined) fail(`${entry}: unknown field "${extra}" (only key and credits)`);
      if (key === undefined) fail(`${entry}: missing "key"`);
      add(`${entry} (${shown(key)})`, key, credits);
    });
  } else if (data !== null && typeof data === "object") {
    for (const [key, credits] of Object.entries(data)) add(`entry ${shown(key)}`, key, credits);
  } else {
    fail(`must be a map of API keys to credits, or a list of keys; found ${data === null || data === undefined ? "nothing" : shown(data)}`);
  }
  if (keys.size === 0) fail("lists no keys (every request would get 401); use --keys auto to provision keys on first use");
  return keys;
}
