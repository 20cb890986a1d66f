export const PARSE_FAILED: unique symbol = Symbol("invalid JSON");

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * A request body as JSON, strictly: an object or an array at the top (what
 * express.json's strict mode accepted), an empty body as `{}`.
 */
export function parseJsonBody(buf: Buffer): unknown {
  if (buf.length === 0) return {};
  let i = 0;
  while (i < buf.length && WS.has(buf[i]!)) i++;
  const first = buf[i];
  if (first !== 0x7b && first !== 0x5b) return PARSE_FAILED;
  try {
    return JSON.parse(buf.toString("utf8"));
  } catch {
    return PARSE_FAILED;
  }
}
