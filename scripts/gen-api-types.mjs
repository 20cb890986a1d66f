// Generates src/api/openapi.ts from openapi.yaml with openapi-typescript.
//   node scripts/gen-api-types.mjs           writes it (npm run gen:types)
//   node scripts/gen-api-types.mjs --check   exits 1 when the committed file is stale
// Either way a generator warning (e.g. a discriminator it cannot use) fails the run:
// a spec that only generates with warnings gives integrators wrong types.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";

export const SPEC_URL = new URL("../openapi.yaml", import.meta.url);
export const OUTPUT_URL = new URL("../src/api/openapi.ts", import.meta.url);

/**
 * Equivalent to `openapi-typescript openapi.yaml --default-non-nullable false`.
 * The generator's default turns every property with a `default` into a required
 * one; on a request body (model_id, length) that is backwards: the server fills
 * the default, so the client may leave the field out.
 */
export const GENERATOR_OPTIONS = Object.freeze({ defaultNonNullable: false });

/** The file's text for a spec (a file URL, or YAML/JSON text), and any warnings the generator printed. */
export async function renderApiTypes(spec = SPEC_URL) {
  const warnings = [];
  const original = console.warn;
  console.warn = (...args) => warnings.push(args.map(String).join(" "));
  try {
    const ast = await openapiTS(spec, { ...GENERATOR_OPTIONS, silent: false });
    return { text: COMMENT_HEADER + astToString(ast), warnings };
  } finally {
    console.warn = original;
  }
}

async function main() {
  const check = process.argv.includes("--check");
  const { text, warnings } = await renderApiTypes();
  for (const w of warnings) console.error(w);
  if (warnings.length > 0) {
    console.error(`openapi-typescript warned ${warnings.length} time(s) on openapi.yaml; fix the spec.`);
    process.exit(1);
  }
  const path = fileURLToPath(OUTPUT_URL);
  let current = null;
  try {
    current = readFileSync(path, "utf8");
  } catch {}
  if (check) {
    if (current === text) return console.log(`${path} is up to date`);
    console.error(`${path} is stale: run npm run gen:types`);
    process.exit(1);
  }
  if (current !== text) writeFileSync(path, text);
  console.log(current === text ? `${path} already up to date` : `${path} written`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
