import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateSpecModules } from "../src/spec/generate.js";
import { loadSpec } from "../src/spec/load.js";

const committed = (name: string) => readFileSync(new URL(`../src/spec/generated/${name}`, import.meta.url), "utf8");

describe("the code generated from openapi.yaml", () => {
  const fresh = generateSpecModules(loadSpec());

  it("is current: run `npm run gen:spec` after editing openapi.yaml when this fails", () => {
    expect(committed("request-validators.ts") === fresh.validators, "src/spec/generated/request-validators.ts is stale").toBe(true);
    expect(committed("operations.ts") === fresh.operations, "src/spec/generated/operations.ts is stale").toBe(true);
  });

  it("changes when a request schema in the spec changes, so staleness is caught", () => {
    const doc = structuredClone(loadSpec()) as any;
    doc.components.schemas.GarmentType.enum.push("scarf");
    expect(generateSpecModules(doc).validators).not.toBe(fresh.validators);
  });

  it("loads no ajv compiler and no YAML at run time", () => {
    expect(fresh.validators).not.toMatch(/from "ajv"|from "yaml"|(?<![\w$])require\(/);
    expect(fresh.validators).toContain('from "../ucs2length.js"');
  });
});
