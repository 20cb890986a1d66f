import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PARSE_FAILED, parseJsonBody } from "../src/http/json-body.js";
import { parseLargeJson } from "../src/http/large-json.js";

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const dataUrl = (bytes: number, fill = 7) => `data:image/png;base64,${Buffer.concat([PNG, Buffer.alloc(bytes, fill)]).toString("base64")}`;
const ordinary = (buf: Buffer) => {
  try {
    return JSON.parse(buf.toString("utf8")) as unknown;
  } catch {
    return PARSE_FAILED;
  }
};

/** Small JSON values around the big strings, escapes and unicode included. */
const small = fc.jsonValue({ maxDepth: 2 });
const big = fc.integer({ min: 70_000, max: 200_000 }).chain((n) => fc.constantFrom(dataUrl(n), dataUrl(n + 1, 200), dataUrl(n + 2, 3)));

describe("a large JSON body", () => {
  it("parses to exactly what JSON.parse gives, wherever the big data URLs sit", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(small, big, fc.array(fc.oneof(small, big), { maxLength: 3 })), { maxKeys: 5 }), big, (rest, image) => {
        const body = Buffer.from(JSON.stringify({ ...rest, image_url: image }));
        const parsed = parseJsonBody(body);
        expect(parsed).not.toBe(PARSE_FAILED);
        expect((parsed as { value: unknown }).value).toEqual(ordinary(body));
      }),
      { numRuns: 40 },
    );
  });

  it("fails exactly where JSON.parse fails, whatever byte is broken", () => {
    const body = Buffer.from(JSON.stringify({ person_image_url: dataUrl(100_000), garment_image_url: dataUrl(90_000), garment_type: "top" }));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: body.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const broken = Buffer.from(body);
        broken[at] = byte;
        const parsed = parseJsonBody(broken);
        const expected = ordinary(broken);
        if (expected === PARSE_FAILED) expect(parsed).toBe(PARSE_FAILED);
        else expect((parsed as { value: unknown }).value).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("marks only top-level data URLs whose base64 it checked, and leaves escaped or odd big strings to JSON.parse", () => {
    const image = dataUrl(100_000);
    const checked = parseLargeJson(Buffer.from(JSON.stringify({ person_image_url: image, nested: { garment_image_url: image } })));
    expect([...checked!.base64Checked]).toEqual(["person_image_url"]);
    expect(parseLargeJson(Buffer.from(JSON.stringify({ image_url: `${image}\n` })))).toBeNull();
    expect(parseLargeJson(Buffer.from(JSON.stringify({ image_url: `${image.slice(0, 500)}!${image.slice(501)}` })))).toBeNull();
    expect(parseLargeJson(Buffer.from(JSON.stringify({ prompt: "x".repeat(100_000) })))).toBeNull();
    expect(parseLargeJson(Buffer.from(JSON.stringify({ [image]: 1 })))).toBeNull();
  });
});
