import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// `npm test` builds dist first; run `npm run build` before running this file alone.
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};
const deps = Object.keys(pkg.dependencies);
const devDeps = Object.keys(pkg.devDependencies);
const BUILTINS = new Set(builtinModules);

function filesUnder(dir: string, exts: RegExp): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && exts.test(e.name) && !join(e.parentPath, e.name).includes("node_modules"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** The package a bare specifier names ("@scope/pkg/sub" → "@scope/pkg"), or null for relative paths and builtins. */
function packageOf(spec: string): string | null {
  if (/^[./]/.test(spec) || spec.startsWith("node:") || BUILTINS.has(spec)) return null;
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/**
 * Packages a file imports: static imports and re-exports, import(), require() and
 * `import x = require()`, as TypeScript's own pre-processor finds them (so code inside
 * string literals, which some tests compile, does not count). Also packages loaded
 * by name at run time (pino starts a transport `target` in a worker thread) and
 * packages whose files are located with import.meta.resolve() or require.resolve().
 */
function importsOf(file: string): Set<string> {
  const text = readFileSync(join(ROOT, file), "utf8");
  const found = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  for (const m of text.matchAll(/\btransport:\s*\{\s*target:\s*"([^"]+)"/g)) found.push(m[1]!);
  // Files served from a package (static assets) are located, not imported.
  for (const m of text.matchAll(/\b(?:import\.meta|require)\.resolve\(\s*["']([^"']+)["']/g)) found.push(m[1]!);
  return new Set(found.map(packageOf).filter((p): p is string => p !== null && p !== pkg.name));
}

function importersOf(files: string[]): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const f of files) for (const p of importsOf(f)) by.set(p, [...(by.get(p) ?? []), f]);
  return by;
}

/** Code that ships and runs for users: the sources of dist, and the contract suite (run by `contract`). */
const shipped = [...filesUnder("src", /\.ts$/), ...filesUnder("contracts", /\.ts$/)];
const shippedJs = [...filesUnder("dist", /\.js$/), ...filesUnder("contracts", /\.ts$/)];
const shippedTypes = filesUnder("dist", /\.d\.ts$/);
/** Everything else that uses packages: tests, examples, benchmarks, scripts, configs. */
const tooling = [
  ...filesUnder("test", /\.(ts|mts|mjs|js)$/),
  // Not examples/docs-clients/docs: the API docs' own code, verbatim (its node-fetch import is mapped to fetch there).
  ...filesUnder("examples", /\.(ts|mts|mjs|js|cjs)$/).filter((f) => !f.startsWith("examples/docs-clients/docs/")),
  ...filesUnder("bench", /\.(ts|mjs|js)$/),
  ...filesUnder("scripts", /\.(mjs|mts|js)$/),
  "vitest.config.ts",
];

/** The bin names each devDependency installs, for the packages used only through npm scripts. */
function binsOf(name: string): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { bin?: string | Record<string, string> };
  if (typeof manifest.bin === "string") return [name.split("/").pop()!];
  return Object.keys(manifest.bin ?? {});
}

/** Whether a package ships its own types (else a consumer needs @types/NAME). */
function hasOwnTypes(name: string): boolean {
  const manifest = JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as Record<string, unknown>;
  return Boolean(manifest.types ?? manifest.typings) || JSON.stringify(manifest.exports ?? {}).includes('"types"');
}

describe("declared dependencies", () => {
  it("finds the files it scans (a scan of nothing would pass)", () => {
    expect(shipped.length).toBeGreaterThan(50);
    expect(shippedJs.filter((f) => f.startsWith("dist/")).length).toBeGreaterThan(50);
    expect(shippedTypes.length).toBeGreaterThan(50);
    expect(tooling.length).toBeGreaterThan(30);
    expect(importsOf("src/http/logger.ts")).toEqual(new Set(["pino", "pino-pretty"]));
  });

  it("uses every runtime dependency in shipped code, or in the published types for the types-only ones", () => {
    const code = importersOf(shipped);
    const types = importersOf(shippedTypes);
    const unused = deps.filter((d) => {
      if (code.has(d)) return false;
      if (d.startsWith("@types/")) return !types.has(d.slice("@types/".length));
      return !types.has(d);
    });
    expect(unused, "dependencies that nothing shipped uses: drop them or move them to devDependencies").toEqual([]);
  });

  it("declares every package the shipped code loads at run time as a runtime dependency", () => {
    const missing = [...importersOf(shippedJs)].filter(([p]) => !deps.includes(p)).map(([p, files]) => `${p} (${files[0]})`);
    expect(missing, "loaded by dist/ or contracts/ but not in dependencies").toEqual([]);
  });

  it("declares, as runtime dependencies, the types the published .d.ts files import", () => {
    const missing = [...importersOf(shippedTypes)]
      .filter(([p]) => !(deps.includes(p) && hasOwnTypes(p)) && !deps.includes(`@types/${p}`))
      .map(([p, files]) => `${p} (${files[0]})`);
    expect(missing, "a strict consumer (no skipLibCheck) cannot resolve these").toEqual([]);
  });

  it("uses every devDependency in tests, examples, benchmarks, scripts or an npm script", () => {
    const used = importersOf(tooling);
    const scriptWords = new Set(Object.values(pkg.scripts).flatMap((s) => s.split(/[\s&|;]+/)));
    const unused = devDeps.filter((d) => {
      if (used.has(d) || importersOf(shipped).has(d)) return false;
      if (d === "@types/node") return false; // the builtins: every file uses them
      if (d.startsWith("@types/")) return !used.has(d.slice("@types/".length)) && !importersOf(shipped).has(d.slice("@types/".length));
      return !binsOf(d).some((b) => scriptWords.has(b));
    });
    expect(unused, "devDependencies nothing uses: drop them").toEqual([]);
  });

  it("declares every package the tests, examples, benchmarks and scripts import (nothing leans on a hoisted transitive package)", () => {
    const missing = [...importersOf(tooling)].filter(([p]) => !deps.includes(p) && !devDeps.includes(p)).map(([p, files]) => `${p} (${files[0]})`);
    expect(missing).toEqual([]);
  });
});

describe("what `serve` and the library load", () => {
  /** Every file of dist reachable from an entry through relative imports, static or dynamic. */
  function reachable(entry: string): Set<string> {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(join(ROOT, file), "utf8");
      for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
        if (fileName.startsWith(".")) visit(relative(ROOT, join(ROOT, file, "..", fileName)));
      }
    };
    visit(entry);
    return seen;
  }
  const packagesLoadedBy = (entry: string) => new Set([...reachable(entry)].flatMap((f) => [...importsOf(f)]));

  it("keeps vitest out of serve and the library: only the contract runner loads it", () => {
    for (const entry of ["dist/cli/serve.js", "dist/index.js", "dist/api/index.js"]) {
      expect(packagesLoadedBy(entry).has("vitest"), `${entry} reaches vitest`).toBe(false);
    }
    expect(packagesLoadedBy("dist/cli/contract.js").has("vitest")).toBe(true);
    expect(packagesLoadedBy("dist/cli/serve.js")).toContain("express");
  });

  it("answers --version and --help from the CLI entry without loading the server", () => {
    // main.js reaches serve.js and contract.js only through import(): its top-level imports are these two.
    const source = ts.createSourceFile("main.js", readFileSync(join(ROOT, "dist/cli/main.js"), "utf8"), ts.ScriptTarget.Latest);
    const statics = source.statements
      .filter((s): s is ts.ImportDeclaration | ts.ExportDeclaration => ts.isImportDeclaration(s) || ts.isExportDeclaration(s))
      .map((s) => (s.moduleSpecifier as ts.StringLiteral | undefined)?.text);
    expect(statics.sort()).toEqual(["../version.js", "./args.js"]);
    expect(readFileSync(join(ROOT, "dist/cli/main.js"), "utf8")).toMatch(/await import\("\.\/serve\.js"\)/);
  });
});
