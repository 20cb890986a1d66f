import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolatedBase, listFiles, runToEnd, start, userEnv } from "./helpers/packed.js";

/**
 * The package as a user gets it: `npm pack`, installed from the tarball into a
 * fresh project outside the repository, then used only through its name, its
 * bin and its published types. `npm test` builds dist first (run `npm run build`
 * before running this file alone); this file packs that build without running
 * `prepare` again, so no test rewrites dist while others read it.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string; engines: { node: string }; devDependencies: Record<string, string> };
const MAX_PACKED_BYTES = 1.5 * 1024 * 1024;
const env = userEnv(ROOT);

interface PackResult { filename: string; size: number; unpackedSize: number; files: { path: string; size: number }[] }

let work = "";
let consumer = "";
let packed: PackResult;
let installed = "";
let typecheck: ReturnType<typeof startTypecheck>;

beforeAll(async () => {
  work = mkdtempSync(join(isolatedBase(), "artemotion-pack-"));
  const pack = await runToEnd("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { cwd: ROOT, env });
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  packed = (JSON.parse(pack.stdout) as PackResult[])[0]!;

  consumer = join(work, "consumer");
  mkdirSync(consumer);
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "ae-consumer", private: true, type: "module" }, null, 2));
  // The npm cache that `npm ci` filled serves every tarball; --prefer-offline skips revalidating it.
  const install = await runToEnd(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", join(work, packed.filename), `@types/node@${pkg.devDependencies["@types/node"]}`],
    { cwd: consumer, env },
  );
  if (install.code !== 0) throw new Error(`npm install of the tarball failed:\n${install.stderr}`);
  installed = join(consumer, "node_modules", pkg.name);
  typecheck = startTypecheck();
}, 150_000);

/**
 * A strict consumer's files, type-checked by the repository's own compiler; started as soon as
 * the install is done, since checking every .d.ts (no skipLibCheck) is the slowest step here.
 */
function startTypecheck(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify({
    compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", noEmit: true, types: ["node"], skipLibCheck: false },
    files: ["consumer.ts", "consumer-cjs.cts"],
  }));
  writeFileSync(join(consumer, "consumer.ts"), [
    'import { createApp, createMockServer, createWebhookReceiver, verifyWebhook, type MockServer } from "artemotion-mock";',
    'import type { JobStatusResponse, SubmitTryonRequest, SubmitVisionRequest, WebhookEvent, paths } from "artemotion-mock/api";',
    "",
    'export const tryon: SubmitTryonRequest = { person_image_url: "https://example.com/p.jpg", garment_image_url: "https://example.com/g.jpg" };',
    'export const vision = { image_url: "https://example.com/p.jpg" } satisfies SubmitVisionRequest;',
    "// @ts-expect-error garment_image_url is required (were the types any, this directive would be unused and fail)",
    'export const broken: SubmitTryonRequest = { person_image_url: "https://example.com/p.jpg" };',
    'export type Poll = paths["/jobs/{job_id}"]["get"]["responses"][200]["content"]["application/json"];',
    "",
    "export async function run(): Promise<string> {",
    '  const mock: MockServer = await createMockServer({ timing: "fast" });',
    "  // @ts-expect-error no such option",
    "  await createMockServer({ nosuch: 1 });",
    '  const receiver = await createWebhookReceiver({ secret: "whsec_consumer" });',
    "  mock.freeze();",
    '  const job = (await (await fetch(`${mock.baseUrl}/jobs/x?model_id=moondream2`)).json()) as Poll & JobStatusResponse;',
    '  const text: string | null = job.status === "completed" && "result" in job ? job.result.text : null;',
    '  const check = verifyWebhook("{}", { "x-artemotion-signature": "v1=00" }, "whsec_consumer");',
    "  const why: string = check.ok ? check.event : check.reason;",
    "  const event = receiver.deliveries[0]?.body as WebhookEvent | undefined;",
    "  const embedded = createApp({ logLevel: \"silent\" }).app;",
    "  await receiver.close();",
    "  await mock.close();",
    "  return [text, why, event?.kind, typeof embedded.use].join();",
    "}",
  ].join("\n"));
  writeFileSync(join(consumer, "consumer-cjs.cts"), [
    'import mock = require("artemotion-mock");',
    'import type { SubmitVisionRequest } from "artemotion-mock/api";',
    'export const body: SubmitVisionRequest = { image_url: "https://example.com/p.jpg" };',
    "export const start: typeof mock.createMockServer = mock.createMockServer;",
    "// @ts-expect-error verifyWebhook needs a secret",
    'mock.verifyWebhook("{}", {});',
  ].join("\n"));
  return runToEnd(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "."], { cwd: consumer, env });
}

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

// --yes=false: fail rather than fetch a package of that name from the registry. (Not --no: npx reads it
// as a flag taking the next word, and `npx --no artemotion-mock --version` prints npm's own version.)
const npx = (args: string[]) => ["--yes=false", pkg.name, ...args];

/** `npx artemotion-mock serve --port 0` until its ready line; its base URL. */
async function serve() {
  const p = start("npx", npx(["serve", "--port", "0", "--log-level", "warn"]), { cwd: consumer, env });
  const ready = await p.line(/artemotion-mock ready: /);
  return { p, baseUrl: /ready: (http:\/\/\S+\/api\/v1)/.exec(ready)![1]! };
}

describe("the npm tarball", () => {
  it("holds the build, its sources, the spec and the contract suite, and nothing of the repository's tests, benchmarks or examples", () => {
    const paths = packed.files.map((f) => f.path).sort();
    const byDir = new Map<string, number>();
    for (const f of packed.files) byDir.set(f.path.split("/")[0]!, (byDir.get(f.path.split("/")[0]!) ?? 0) + f.size);
    console.log(
      `${packed.filename}: ${(packed.size / 1024).toFixed(1)} kB packed, ${(packed.unpackedSize / 1024).toFixed(1)} kB unpacked, ${paths.length} files ` +
        `(${[...byDir].map(([d, n]) => `${d} ${(n / 1024).toFixed(0)} kB`).join(", ")})`,
    );
    // src/ui: the dashboard's TSX sources (its source maps point there) and the stylesheet it serves.
    const allowed = [/^(package\.json|README\.md|CHANGELOG\.md|LICENSE|openapi\.yaml)$/, /^dist\//, /^src\/.+\.ts$/, /^src\/ui\/.+\.(tsx|css)$/, /^contracts\/.+\.ts$/];
    expect(paths.filter((p) => !allowed.some((re) => re.test(p)))).toEqual([]);
    const forbidden = [/(^|\/)tests?\//, /\.(test|spec)\.[cm]?[jt]s(\.map)?$/, /^bench\//, /(^|\/)results\//, /^examples\//, /\.tsbuildinfo/, /(^|\/)node_modules\//];
    expect(paths.filter((p) => forbidden.some((re) => re.test(p)))).toEqual([]);
    for (const must of ["package.json", "README.md", "CHANGELOG.md", "openapi.yaml", "dist/index.js", "dist/index.d.ts", "dist/api/index.d.ts", "dist/cli/main.js", "contracts/vitest.config.ts", "dist/store/redis/lua/submit.lua", "dist/store/redis/lua/prelude.lua"]) {
      expect(paths, must).toContain(must);
    }
    // No leftover of an older build: every compiled file has its source beside it.
    const sources = new Set(paths.filter((p) => p.startsWith("src/")));
    const sourceOf = (js: string) => js.replace(/^dist\//, "src/").replace(/\.js$/, "");
    const orphans = paths.filter((p) => /^dist\/.+\.js$/.test(p) && !sources.has(`${sourceOf(p)}.ts`) && !sources.has(`${sourceOf(p)}.tsx`));
    expect(orphans).toEqual([]);
    expect(packed.size).toBeLessThan(MAX_PACKED_BYTES);
  });

  it("ships source maps of the library's sources only, never of tests", () => {
    const maps = listFiles(installed).filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(50);
    const outside = maps.flatMap((m) => {
      const { sources } = JSON.parse(readFileSync(join(installed, m), "utf8")) as { sources: string[] };
      return sources.map((s) => join(m, "..", s)).filter((s) => !s.startsWith("src/") || /test/.test(s)).map((s) => `${m} → ${s}`);
    });
    expect(outside).toEqual([]);
  });

  it("installs only packages whose engines allow every Node version package.json's engines claims", () => {
    expect(semver.satisfies(process.version, pkg.engines.node), `this Node (${process.version}) is outside ${pkg.engines.node}`).toBe(true);
    const manifests = listFiles(join(consumer, "node_modules")).filter((f) => /(^|\/)package\.json$/.test(f) && !f.includes("/test/"));
    const narrower: string[] = [];
    let checked = 0;
    for (const m of manifests) {
      const { name, engines } = JSON.parse(readFileSync(join(consumer, "node_modules", m), "utf8")) as { name?: string; engines?: { node?: string } };
      if (!name || !engines?.node || name === "@types/node" || !semver.validRange(engines.node)) continue;
      checked++;
      if (!semver.subset(pkg.engines.node, engines.node)) narrower.push(`${name}: ${engines.node}`);
    }
    expect(checked).toBeGreaterThan(20);
    expect(narrower, `these need more than "${pkg.engines.node}"`).toEqual([]);
  });
});

describe("the installed package, used by name", () => {
  it("answers `npx artemotion-mock --version` with package.json's version", async () => {
    const r = await runToEnd("npx", npx(["--version"]), { cwd: consumer, env });
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it("serves with `npx artemotion-mock serve --port 0`, and `npx artemotion-mock contract` passes against it", async () => {
    const { p, baseUrl } = await serve();
    try {
      const res = await fetch(`${baseUrl}/models`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { models: { id: string }[] }).models.length).toBeGreaterThan(0);
      const junit = join(work, "contract.xml");
      const run = await runToEnd("npx", npx(["contract", "--base-url", baseUrl, "--api-key", "ae_test_packaged01", "--report", `junit:${junit}`]), { cwd: consumer, env });
      expect(run.code, run.stdout.slice(-3000) + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/Result: PASS/);
      expect(readFileSync(junit, "utf8")).toMatch(/<testsuites[^>]* tests="\d+"/);
    } finally {
      await p.stop();
    }
  }, 60_000);

  it("serves and imports without vitest installed: only `contract` needs it, and says so", async () => {
    const vitest = join(consumer, "node_modules", "vitest");
    renameSync(vitest, `${vitest}.hidden`);
    try {
      const { p, baseUrl } = await serve();
      try {
        expect((await fetch(`${baseUrl}/models`)).status).toBe(200);
      } finally {
        await p.stop();
      }
      writeFileSync(join(consumer, "no-vitest.mjs"), 'import { createMockServer } from "artemotion-mock";\nconst s = await createMockServer();\nconsole.log((await fetch(`${s.baseUrl}/vision`)).status);\nawait s.close();\n');
      expect(await runToEnd(process.execPath, ["no-vitest.mjs"], { cwd: consumer, env })).toMatchObject({ code: 0, stdout: "200\n" });
      const contract = await runToEnd("npx", npx(["contract"]), { cwd: consumer, env });
      expect(contract.code).toBe(2);
      expect(contract.stderr).toMatch(/artemotion-mock contract: cannot load vitest/);
    } finally {
      renameSync(`${vitest}.hidden`, vitest);
    }
  }, 40_000);

  it("type-checks a strict TypeScript consumer (NodeNext, no skipLibCheck) of the helpers and the API types, as ESM and as CommonJS", async () => {
    const tsc = await typecheck;
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.code).toBe(0);
  }, 40_000);

  it("loads with `import` and with `require` (require(esm), Node 20.19+)", async () => {
    const body = (load: string) => [
      load,
      "(async () => {",
      "  const s = await createMockServer();",
      "  const res = await fetch(`${s.baseUrl}/models`);",
      "  console.log(JSON.stringify({ status: res.status, helpers: [typeof verifyWebhook, typeof createWebhookReceiver], api: Object.keys(api).length }));",
      "  await s.close();",
      "})();",
    ].join("\n");
    writeFileSync(join(consumer, "use.mjs"), body('import { createMockServer, verifyWebhook, createWebhookReceiver } from "artemotion-mock";\nimport * as api from "artemotion-mock/api";'));
    writeFileSync(join(consumer, "use.cjs"), body('const { createMockServer, verifyWebhook, createWebhookReceiver } = require("artemotion-mock");\nconst api = require("artemotion-mock/api");'));
    const expected = { code: 0, stdout: `${JSON.stringify({ status: 200, helpers: ["function", "function"], api: 0 })}\n`, stderr: "" };
    for (const file of ["use.mjs", "use.cjs"]) {
      expect(await runToEnd(process.execPath, [file], { cwd: consumer, env }), file).toEqual(expected);
    }
  });
});
