import { randomBytes } from "node:crypto";
import { DATA_URL_PREFIX } from "../domain/image-input.js";

/** Strings at least this long are taken out of the JSON text before JSON.parse sees it. */
const BIG_STRING = 64 * 1024;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const ONE = new Uint8Array(256);
for (const c of ALPHABET) ONE[c.charCodeAt(0)] = 1;
/** Every pair of base64 bytes, read as one little-endian 16-bit word: half the lookups of a byte loop. */
const PAIR = new Uint8Array(65536);
for (let a = 0; a < 256; a++) if (ONE[a]) for (let b = 0; b < 256; b++) if (ONE[b]) PAIR[a | (b << 8)] = 1;

/** True when buf[start, end) holds only base64 alphabet bytes. */
function isBase64Alphabet(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  if ((buf.byteOffset + i) & 1 && i < end) if (ONE[buf[i++]!] === 0) return false;
  const pairs = (end - i) >> 1;
  const words = new Uint16Array(buf.buffer, buf.byteOffset + i, pairs);
  for (let k = 0; k < pairs; k++) if (PAIR[words[k]!] === 0) return false;
  for (let k = i + 2 * pairs; k < end; k++) if (ONE[buf[k]!] === 0) return false;
  return true;
}

/** The end of the string literal whose opening quote is at `open`, or -1. */
function closingQuote(buf: Buffer, open: number): number {
  for (let from = open + 1; ; ) {
    const q = buf.indexOf(0x22, from);
    if (q === -1) return -1;
    let backslashes = 0;
    while (buf[q - 1 - backslashes] === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return q;
    from = q + 1;
  }
}

/** A big string literal that is a base64 data URL: prefix checked, payload all alphabet, up to two '=' at the end. */
function isPlainDataUrl(buf: Buffer, start: number, end: number): boolean {
  const head = buf.toString("latin1", start, Math.min(end, start + 300));
  const m = DATA_URL_PREFIX.exec(head);
  if (!m) return false;
  let stop = end;
  while (stop > start && buf[stop - 1] === 0x3d && end - stop < 2) stop--;
  return isBase64Alphabet(buf, start + m[0].length, stop);
}

export interface LargeParse {
  value: unknown;
  /** Top-level fields holding a data URL whose base64 alphabet was checked here. */
  base64Checked: Set<string>;
}

/**
 * JSON.parse for bodies that carry images as data URLs (a try-on with two
 * 10 MB images is 28 MB). JSON.parse and the later base64 check would each
 * walk every byte in JavaScript; here each big string is found with memchr,
 * checked once as base64 two bytes at a time, and cut out of the text, so
 * JSON.parse only reads the small rest. Any big string that is not a plain
 * data URL (an escape, another shape) sends the body back to the ordinary
 * path: null means "parse it the ordinary way", never "invalid".
 */
export function parseLargeJson(buf: Buffer): LargeParse | null {
  const spans: [number, number][] = [];
  for (let i = buf.indexOf(0x22); i !== -1; ) {
    const close = closingQuote(buf, i);
    if (close === -1) return null;
    if (close - i - 1 >= BIG_STRING) {
      if (!isPlainDataUrl(buf, i + 1, close)) return null;
      spans.push([i + 1, close]);
    }
    i = buf.indexOf(0x22, close + 1);
  }
  if (spans.length === 0) return null;
  const marker = `@big:${randomBytes(9).toString("base64url")}:`;
  const parts: string[] = [];
  let at = 0;
  spans.forEach(([start, end], n) => {
    parts.push(buf.toString("utf8", at, start), marker + n);
    at = end;
  });
  parts.push(buf.toString("utf8", at));
  let value: unknown;
  try {
    value = JSON.parse(parts.join(""));
  } catch {
    return null;
  }
  const big = spans.map(([start, end]) => buf.toString("latin1", start, end));
  const base64Checked = new Set<string>();
  let keyed = false;
  const restore = (v: unknown, topField: string | null): unknown => {
    if (typeof v === "string") {
      if (!v.startsWith(marker)) return v;
      if (topField !== null) base64Checked.add(topField);
      return big[Number(v.slice(marker.length))];
    }
    if (Array.isArray(v)) return v.map((x) => restore(x, null));
    if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (k.startsWith(marker)) keyed = true;
        o[k] = restore(o[k], topField === null && o === value ? k : null);
      }
    }
    return v;
  };
  const restored = restore(value, null);
  // A big string used as a property name: rare enough to leave to JSON.parse.
  if (keyed) return null;
  return { value: restored, base64Checked };
}
