// npm run gen:spec: writes src/spec/generated/ from openapi.yaml (run after editing the spec).
import { writeFileSync } from "node:fs";
import { generateSpecModules } from "../dist/spec/generate.js";
import { loadSpec } from "../dist/spec/load.js";

const out = generateSpecModules(loadSpec());
writeFileSync(new URL("../src/spec/generated/request-validators.ts", import.meta.url), out.validators);
writeFileSync(new URL("../src/spec/generated/operations.ts", import.meta.url), out.operations);
console.log("src/spec/generated/ written from openapi.yaml");
