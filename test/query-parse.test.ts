import querystring from "node:querystring";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseQuery } from "../src/http/query.js";

describe("the poll's query string", () => {
  it("reads exactly as node:querystring reads it, escapes, pluses and repeats included", () => {
    const piece = fc.oneof(fc.constantFrom("model_id=", "model_id", "&", "=", "+", "%", "%2F", "%E0%A4", "%zz", "a", "fal-ai%2Fflux-pro"), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
        const q = parts.join("");
        expect({ ...parseQuery(q) }).toEqual({ ...querystring.parse(q) });
      }),
      { numRuns: 2000 },
    );
  });
});
