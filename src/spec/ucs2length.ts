/**
 * String length in code points, as JSON Schema counts it, for ajv's
 * minLength/maxLength. ajv's own helper walks every character: about 27 ms
 * on a 14 MB data URL. A string without surrogates has as many code points as
 * UTF-16 units, and V8 answers that regex at once for one-byte strings, which
 * is what a base64 data URL is; only strings with surrogates are walked.
 */
const SURROGATE = /[\uD800-\uDFFF]/;

export function ucs2length(str: string): number {
  if (!SURROGATE.test(str)) return str.length;
  let length = 0;
  for (let pos = 0; pos < str.length; length++) {
    const c = str.charCodeAt(pos++);
    if (c >= 0xd800 && c <= 0xdbff && pos < str.length && (str.charCodeAt(pos) & 0xfc00) === 0xdc00) pos++;
  }
  return length;
}
