import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { OUTPUT_URL, renderApiTypes, SPEC_URL } from "../scripts/gen-api-types.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./fixtures/api-docs-examples.ts", import.meta.url));
const SPEC_EXAMPLES = fileURLToPath(new URL("./fixtures/spec-examples.generated.ts", import.meta.url));
const CONSUMER = fileURLToPath(new URL("./fixtures/api-consumer.generated.ts", import.meta.url));
const specText = readFileSync(SPEC_URL, "utf8");
const committed = () => readFileSync(OUTPUT_URL, "utf8");

/** "line N: ours … / fresh …" for the first line that differs, so a stale file says where. */
function firstDifference(a: string, b: string): string {
  const x = a.split("\n"), y = b.split("\n");
  const i = x.findIndex((line, n) => line !== y[n]);
  const at = i === -1 ? x.length : i;
  return `line ${at + 1}: committed ${JSON.stringify(x[at])} / generated ${JSON.stringify(y[at])}`;
}

describe("src/api/openapi.ts, generated from openapi.yaml", () => {
  it("is what openapi-typescript generates from today's openapi.yaml (else run npm run gen:types)", async () => {
    const { text, warnings } = await renderApiTypes();
    expect(warnings).toEqual([]);
    const ours = committed();
    expect(ours === text, `src/api/openapi.ts is stale, run npm run gen:types (${firstDifference(ours, text)})`).toBe(true);
  });

  it("would be reported stale after a change to openapi.yaml", async () => {
    const changed = specText.replace("        object:\n          type: string\n", "        colour:\n          type: string\n        object:\n          type: string\n");
    expect(changed).not.toBe(specText);
    const { text } = await renderApiTypes(changed);
    expect(text).not.toBe(committed());
    expect(text).toContain("colour?: string;");
  });

  it("turns a generator warning into a failure, as the old completed → oneOf discriminator did", async () => {
    const withDiscriminator = specText.replace(
      '        - $ref: "#/components/schemas/JobFailed"\n',
      '        - $ref: "#/components/schemas/JobFailed"\n      discriminator:\n        propertyName: status\n        mapping:\n          completed: "#/components/schemas/JobCompleted"\n',
    );
    expect(withDiscriminator).not.toBe(specText);
    const { warnings } = await renderApiTypes(withDiscriminator);
    expect(warnings.join("\n")).toMatch(/Discriminator mapping has an invalid schema.*JobCompleted/);
  });

  it("is also what the CLI prints for `openapi-typescript openapi.yaml --default-non-nullable false` (the README's command)", async () => {
    const cli = fileURLToPath(new URL("../node_modules/openapi-typescript/bin/cli.js", import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [cli, "openapi.yaml", "--default-non-nullable", "false"], { cwd: ROOT, maxBuffer: 8 << 20 });
    expect(stdout === committed(), firstDifference(committed(), stdout)).toBe(true);
  });

  it("keeps request fields with a server-side default optional, where the generator's defaults would require them", async () => {
    const { text } = await renderApiTypes();
    const vision = text.slice(text.indexOf("VisionRequest: {"), text.indexOf("GenerateRequest: {"));
    expect(vision).toMatch(/\bmodel_id\?: /);
    expect(vision).toMatch(/\blength\?: /);
    expect(vision).toMatch(/\bimage_url: /);
  });
});

// ---- Type-checking bodies against the generated types, with the project's own compiler settings ----

const config = ts.getParsedCommandLineOfConfigFile(fileURLToPath(new URL("../tsconfig.json", import.meta.url)), { noEmit: true }, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => {
    throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  },
})!;

/** Parsed files from disk (lib and @types included), shared by the compilations below. */
const parsed = new Map<string, ts.SourceFile | undefined>();

/** Diagnostics per line (1-based) of `file`, compiled with `overrides` standing in for files on disk. */
function typeErrors(file: string, overrides: Record<string, string> = {}): Map<number, string[]> {
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => overrides[f] ?? readFile(f);
  host.fileExists = (f) => f in overrides || fileExists(f);
  host.getSourceFile = (f, language, ...rest) => {
    if (f in overrides) return ts.createSourceFile(f, overrides[f]!, language);
    if (!parsed.has(f)) parsed.set(f, getSourceFile(f, language, ...rest));
    return parsed.get(f);
  };
  const program = ts.createProgram({ rootNames: [file], options: config.options, host });
  const source = program.getSourceFile(file)!;
  const byLine = new Map<number, string[]>();
  for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
    const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line + 1;
    byLine.set(line, [...(byLine.get(line) ?? []), ts.flattenDiagnosticMessageText(d.messageText, "\n")]);
  }
  return byLine;
}

const show = (errors: Map<number, string[]>) => [...errors].map(([line, msgs]) => `${line}: ${msgs.join(" | ")}`).join("\n");

describe("the generated types and the docs' bodies", () => {
  it("accept every body the docs show and refuse the broken ones (test/fixtures/api-docs-examples.ts)", () => {
    const errors = typeErrors(FIXTURE);
    expect(show(errors)).toBe("");
  });

  it("refuse each broken body for the reason its comment names", () => {
    const text = readFileSync(FIXTURE, "utf8");
    const lines = text.split("\n");
    const expected = new Map<number, string>();
    lines.forEach((line, i) => {
      if (!line.includes("// @ts-expect-error")) return;
      const token = /`([^`]+)`/.exec(line)?.[1];
      expect(token, `line ${i + 1} names the reason in backticks`).toBeDefined();
      expected.set(i + 2, token!);
    });
    expect(expected.size).toBeGreaterThanOrEqual(15);
    // Same file with every directive disarmed (line numbers unchanged): each refusal must now surface.
    const errors = typeErrors(FIXTURE, { [FIXTURE]: text.replaceAll("// @ts-expect-error", "// (expected error)") });
    expect([...errors.keys()].sort((a, b) => a - b)).toEqual([...expected.keys()]);
    for (const [line, token] of expected) {
      expect(errors.get(line)!.join("\n"), `line ${line} fails because of ${token}`).toContain(token);
    }
  });

  it("accept every example in openapi.yaml at the place the spec gives it", () => {
    const doc = parse(specText) as Record<string, unknown>;
    const checks: string[] = [];
    const typeAt = (segments: string[]) =>
      segments.slice(1).reduce((t, key) => `NonNullable<${t}>[${JSON.stringify(key)}]`, segments[0]!);
    // Media-type examples: …/content/<media type>/examples/<name>/value.
    const walk = (node: unknown, segments: string[]) => {
      if (node === null || typeof node !== "object" || Array.isArray(node)) return;
      const obj = node as Record<string, unknown>;
      if (segments.at(-2) === "content" && obj.examples && typeof obj.examples === "object") {
        for (const [name, ex] of Object.entries(obj.examples as Record<string, { value: unknown }>)) {
          checks.push(`// ${segments.join(" ")} ${name}\nexport const e${checks.length} = ${JSON.stringify(ex.value)} satisfies ${typeAt(segments)};`);
        }
      }
      for (const [key, child] of Object.entries(obj)) walk(child, [...segments, key]);
    };
    for (const root of ["paths", "webhooks", "components"] as const) walk(doc[root], [root]);
    expect(checks.length).toBeGreaterThanOrEqual(30);
    const source = `import type { components, paths, webhooks } from "../../src/api/index.js";\n${checks.join("\n")}\n`;
    const errors = typeErrors(SPEC_EXAMPLES, { [SPEC_EXAMPLES]: source });
    expect(show(errors)).toBe("");
    // The same check refuses an example that breaks its type.
    const broken = source.replace('"status":"queued","credits_used":15', '"status":"queued","credits_used":"15"');
    expect(broken).not.toBe(source);
    expect(show(typeErrors(SPEC_EXAMPLES, { [SPEC_EXAMPLES]: broken }))).toMatch(/Type 'string' is not assignable to type 'number'/);
  });
});

describe("the artemotion-mock/api subpath", () => {
  // `npm test` builds dist first; run `npm run build` before running this file alone.
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { exports: Record<string, Record<string, string>> };
  const entry = pkg.exports["./api"]!;

  it("is exported with types and a default, both built by npm run build", async () => {
    expect(entry).toEqual({ types: "./dist/api/index.d.ts", default: "./dist/api/index.js" });
    for (const file of Object.values(entry)) {
      if (!existsSync(new URL(`../${file}`, import.meta.url))) throw new Error(`${file} is missing: run \`npm run build\` (npm test does it first)`);
    }
    // Types only, so the runtime module is empty; importing it must still work.
    expect(Object.keys(await import(pathToFileURL(fileURLToPath(new URL(`../${entry.default}`, import.meta.url))).href))).toEqual([]);
  });

  it("type-checks a consumer that imports the package by name, under NodeNext resolution", () => {
    const source = [
      'import type { SubmitTryonRequest, SubmitVisionRequest, JobStatusResponse, WebhookEvent, paths, components } from "artemotion-mock/api";',
      'export const tryon = { person_image_url: "https://example.com/p.jpg", garment_image_url: "https://example.com/g.jpg" } satisfies SubmitTryonRequest;',
      'export const vision = { image_url: "https://example.com/p.jpg" } satisfies SubmitVisionRequest;',
      'export type Poll = paths["/jobs/{job_id}"]["get"]["responses"][200]["content"]["application/json"];',
      "export const same = (job: Poll): JobStatusResponse => job;",
      'export type Kind = WebhookEvent["kind"] | components["schemas"]["ErrorCode"];',
      "// @ts-expect-error",
      'export const bad = { garment_image_url: "https://example.com/g.jpg" } satisfies SubmitTryonRequest;',
    ].join("\n");
    expect(show(typeErrors(CONSUMER, { [CONSUMER]: source }))).toBe("");
    const unresolved = typeErrors(CONSUMER, { [CONSUMER]: source.replace("artemotion-mock/api", "artemotion-mock/apix") });
    expect(show(unresolved)).toMatch(/Cannot find module 'artemotion-mock\/apix'/);
  });
});
