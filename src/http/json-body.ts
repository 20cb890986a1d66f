import { parseLargeJson } from "./large-json.js";

export const PARSE_FAILED: unique symbol = Symbol("invalid JSON");

export interface ParsedBody {
  value: unknown;
  /** Top-level fields whose data URL payload was already checked as base64 (see large-json.ts). */
  base64Checked: ReadonlySet<string>;
}

export const NO_BASE64_CHECKED: ReadonlySet<string> = new Set();
const NONE = NO_BASE64_CHECKED;
/** Below this JSON.parse is fast enough that looking for big strings would cost more than it saves. */
const LARGE_BODY = 256 * 1024;

const isSpace = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/**
 * A request body as JSON, strictly: an object or an array at the top (what
 * express.json's strict mode accepted), an empty body as `{}`.
 */
export function parseJsonBody(buf: Buffer): ParsedBody | typeof PARSE_FAILED {
  if (buf.length === 0) return { value: {}, base64Checked: NONE };
  let i = 0;
  while (i < buf.length && isSpace(buf[i])) i++;
  const first = buf[i];
  if (first !== 0x7b && first !== 0x5b) return PARSE_FAILED;
  if (buf.length >= LARGE_BODY) {
    const large = parseLargeJson(buf);
    if (large) return large;
  }
  try {
    return { value: JSON.parse(buf.toString("utf8")), base64Checked: NONE };
  } catch {
    return PARSE_FAILED;
  }
}
