import { readFileSync } from "node:fs";
import type { OpenAPIV3_1 } from "openapi-types";
import { describe, expect, it } from "vitest";
import { ERRORS, ERROR_CODES, MOCK_ONLY_CODES, type ErrorCode } from "../src/domain/errors.js";
import { sharedValidators } from "../src/spec/validators.js";

const doc = sharedValidators().doc;
const operations = sharedValidators().operations;

/** Every code with its HTTP status, from the docs' two error tables and their examples. */
const DOCUMENTED: Record<string, number> = {
  UNAUTHORIZED: 401,
  INSUFFICIENT_CREDITS: 402,
  INVALID_REQUEST: 400,
  IMAGE_ERROR: 400,
  RATE_LIMIT_EXCEEDED: 429,
  SUBMISSION_ERROR: 502,
  METHOD_NOT_ALLOWED: 405,
  INVALID_MODEL: 400,
  MISSING_FIELD: 400,
  STATUS_ERROR: 502,
};

const specCodes = (doc.components!.schemas!.ErrorCode as { enum: string[] }).enum;

/** The `| \`CODE\` | status | … |` rows of the README's generated errors table. */
function readmeErrorRows(): Map<string, number> {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const block = /<!-- generated:errors -->\n([\s\S]*?)<!-- \/generated -->/.exec(readme);
  expect(block, "README.md has a <!-- generated:errors --> block").not.toBeNull();
  const rows = new Map<string, number>();
  for (const line of block![1]!.split("\n")) {
    const m = /^\| `([A-Z_]+)` \| (\d{3}) \|/.exec(line);
    if (m) rows.set(m[1]!, Number(m[2]));
  }
  return rows;
}

type Resp = OpenAPIV3_1.ResponseObject & { "x-error-codes"?: string[] };
const deref = (r: unknown): Resp => {
  const ref = (r as { $ref?: string }).$ref;
  return (ref ? ref.slice(2).split("/").reduce<any>((o, k) => o[k], doc) : r) as Resp;
};

/** [where, status, code] for every error code a documented operation response names, by x-error-codes or by example. */
function codesUsedBySpec(): [string, number, string][] {
  const out: [string, number, string][] = [];
  for (const op of operations) {
    for (const [status, raw] of Object.entries(op.op.responses ?? {})) {
      const resp = deref(raw);
      const where = `${op.operationId} ${status}`;
      for (const code of resp["x-error-codes"] ?? []) out.push([where, Number(status), code]);
      for (const ex of Object.values(resp.content?.["application/json"]?.examples ?? {})) {
        const code = ((ex as OpenAPIV3_1.ExampleObject).value as { code?: string } | undefined)?.code;
        if (code) out.push([`${where} example`, Number(status), code]);
      }
    }
  }
  return out;
}

describe("the error-code table", () => {
  it("is the same set in src/domain/errors.ts, openapi.yaml's ErrorCode enum and the README", () => {
    const readme = readmeErrorRows();
    expect([...specCodes].sort()).toEqual([...ERROR_CODES].sort());
    expect([...readme.keys()].sort()).toEqual([...ERROR_CODES].sort());
  });

  it("gives each code the same status in the README as in src", () => {
    const readme = readmeErrorRows();
    for (const code of ERROR_CODES) expect(readme.get(code), code).toBe(ERRORS[code].status);
  });

  it("contains every code the docs name, with the docs' status", () => {
    for (const [code, status] of Object.entries(DOCUMENTED)) {
      expect(ERROR_CODES, code).toContain(code);
      expect(ERRORS[code as ErrorCode].status, code).toBe(status);
    }
  });

  it("gives each code the status of every spec response that uses it", () => {
    const used = codesUsedBySpec();
    expect(used.length).toBeGreaterThan(20);
    for (const [where, status, code] of used) {
      expect(ERROR_CODES, `${where} names ${code}`).toContain(code);
      expect(ERRORS[code as ErrorCode].status, `${where} uses ${code}`).toBe(status);
    }
  });

  it("documents every code but INTERNAL_ERROR and the mock-only ones on some operation response", () => {
    const named = new Set(codesUsedBySpec().map(([, , code]) => code));
    expect(MOCK_ONLY_CODES).toEqual(["FORBIDDEN", "STORE_UNAVAILABLE"]);
    expect(ERROR_CODES.filter((c) => !named.has(c))).toEqual(["FORBIDDEN", "INTERNAL_ERROR", "STORE_UNAVAILABLE"]);
  });

  it("marks every mock-only code as such in the README", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    for (const code of MOCK_ONLY_CODES) expect(readme).toMatch(new RegExp(`^\\| \`${code}\` \\| \\d{3} \\| Mock only`, "m"));
  });

  it("declares the Error schema, with the ErrorCode enum, on every 4xx and 5xx response", () => {
    for (const op of operations) {
      for (const [status, raw] of Object.entries(op.op.responses ?? {})) {
        if (Number(status) < 400) continue;
        expect(deref(raw).content?.["application/json"]?.schema, `${op.operationId} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
      }
    }
    expect((doc.components!.schemas!.Error as OpenAPIV3_1.SchemaObject).properties!.code).toEqual({ $ref: "#/components/schemas/ErrorCode" });
  });
});
