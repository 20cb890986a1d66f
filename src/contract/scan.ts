import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { percentDecode, SECRET_NAME } from "./redact.js";

export interface Leak {
  file: string;
  /** Which rule matched; never the secret itself. */
  rule: string;
}

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else yield p;
  }
}

/** Secret-named JSON fields whose value is not a placeholder (redaction missed one). */
function unredactedFields(value: unknown, name: string, out: string[]): void {
  if (typeof value === "string") {
    if (SECRET_NAME.test(name) && value !== "" && !value.includes("<redacted")) out.push(name);
  } else if (Array.isArray(value)) for (const v of value) unredactedFields(v, name, out);
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) unredactedFields(v, k, out);
}

/**
 * The check after writing: every file under `dir` is searched for each
 * configured secret (raw, URL-encoded, JSON-escaped), for anything shaped like
 * an ArtEmotion key, and for secret-named fields left in clear.
 */
export function scanForSecrets(dir: string, secrets: readonly string[]): Leak[] {
  const leaks: Leak[] = [];
  for (const path of files(dir)) {
    const file = relative(dir, path);
    const raw = readFileSync(path, "utf8");
    const text = `${raw}\n${percentDecode(raw)}`;
    secrets.forEach((s, i) => {
      if (s.length < 4) return;
      const forms = new Set([s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)]);
      if ([...forms].some((f) => text.includes(f))) leaks.push({ file, rule: `configured secret #${i + 1} appears` });
    });
    if (/ae_(live|test)_/.test(text)) leaks.push({ file, rule: "an ae_live_/ae_test_ key appears" });
    if (path.endsWith(".json")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        continue;
      }
      const names: string[] = [];
      unredactedFields(parsed, "", names);
      for (const n of new Set(names)) leaks.push({ file, rule: `field "${n}" is not redacted` });
    }
  }
  return leaks;
}
