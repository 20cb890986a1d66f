/** /__mock/ui, /docs and `/` over real HTTP: what they serve, their CSP, and the admin guard around them. */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RATE_LIMITS } from "../src/domain/rate-limits.js";
import { SCENARIO_NAMES } from "../src/domain/scenarios.js";
import { DOCS_CSP } from "../src/http/docs-routes.js";
import { UI_BUILD_DIR } from "../src/http/ui-routes.js";
import { createMockServer, type MockServer } from "../src/server.js";
import { SPEC_PATH } from "../src/spec/load.js";

let plain: MockServer, guarded: MockServer, noAdmin: MockServer;
const TOKEN = "ui-routes-admin-token";
beforeAll(async () => {
  [plain, guarded, noAdmin] = await Promise.all([createMockServer(), createMockServer({ adminToken: TOKEN }), createMockServer({ admin: false })]);
});
afterAll(async () => {
  await Promise.all([plain.close(), guarded.close(), noAdmin.close()]);
});

const get = (server: MockServer, path: string, headers: Record<string, string> = {}) => fetch(server.origin + path, { headers, redirect: "manual" });
const html = { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

describe("/__mock/ui", () => {
  it("redirects to the address with a trailing slash, which relative assets need", async () => {
    const res = await get(plain, "/__mock/ui");
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toBe("/__mock/ui/");
  });

  it("serves a page whose only inline script, the import map, is allowed by its hash", async () => {
    const res = await get(plain, "/__mock/ui/");
    expect(res.status).toBe(200);
    const page = await res.text();
    const csp = res.headers.get("content-security-policy")!;
    const map = /<script type="importmap">([^<]*)<\/script>/.exec(page)![1]!;
    const hash = createHash("sha256").update(map).digest("base64");
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe");
    expect(page.match(/<script/g)).toHaveLength(2);
    expect(page).not.toMatch(/https?:\/\//);
  });

  it("carries the rate limits and the scenario registry from their one table in the domain", async () => {
    const page = await (await get(plain, "/__mock/ui/")).text();
    const content = /<meta name="ae-mock" content="([^"]*)">/.exec(page)![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, "&").replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
    const config = JSON.parse(content);
    expect(config.rateLimits).toEqual(RATE_LIMITS);
    expect(config.scenarios.map((s: { name: string }) => s.name)).toEqual(SCENARIO_NAMES);
    expect(config.tokenRequired).toBe(false);
  });

  it("serves every module the page imports, preact's from node_modules, and nothing else", async () => {
    const page = await (await get(plain, "/__mock/ui/")).text();
    const map = JSON.parse(/<script type="importmap">([^<]*)<\/script>/.exec(page)![1]!).imports as Record<string, string>;
    const urls = new Set([...Object.values(map), "./app/main.js", "./styles.css"]);
    // Every relative import in the compiled dashboard, so a missing ".js" cannot slip through.
    for (const f of readdirSync(UI_BUILD_DIR).filter((f) => f.endsWith(".js"))) {
      for (const m of readFileSync(join(UI_BUILD_DIR, f), "utf8").matchAll(/from "(\.\/[^"]+)"/g)) urls.add(`./app/${m[1]!.slice(2)}`);
      for (const m of readFileSync(join(UI_BUILD_DIR, f), "utf8").matchAll(/from "([^.][^"]*)"/g)) expect(Object.keys(map), `${f} imports ${m[1]}`).toContain(m[1]);
    }
    expect(urls.size).toBeGreaterThan(10);
    for (const u of urls) {
      const res = await get(plain, new URL(u, `${plain.origin}/__mock/ui/`).pathname);
      expect(res.status, u).toBe(200);
      expect(res.headers.get("content-type"), u).toMatch(u.endsWith(".css") ? /text\/css/ : /javascript/);
    }
    for (const path of ["/__mock/ui/app/../../package.json", "/__mock/ui/app/%2e%2e/%2e%2e/package.json", "/__mock/ui/vendor/compat.mjs", "/__mock/ui/index.html"]) {
      const res = await get(plain, path);
      expect([404, 308], path).toContain(res.status);
      if (res.status === 404) expect(await res.json()).toMatchObject({ code: "NOT_FOUND" });
    }
  });

  it("loads without the admin token (it asks for it) while every data call still needs it", async () => {
    const res = await get(guarded, "/__mock/ui/");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("&quot;tokenRequired&quot;:true");
    expect((await get(guarded, "/__mock/jobs")).status).toBe(401);
    expect((await get(guarded, "/__mock/jobs", { "X-Mock-Admin-Token": TOKEN })).status).toBe(200);
  });

  it("does not exist with --no-admin", async () => {
    const res = await get(noAdmin, "/__mock/ui/");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("/docs and /", () => {
  it("serves Redoc's page with the strict CSP, the spec as YAML, and a bundle with no outside URL for images", async () => {
    const page = await get(plain, "/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toBe(DOCS_CSP);
    expect(DOCS_CSP).toMatch(/^default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src blob:/);
    expect(await page.text()).toContain('<redoc spec-url="/docs/openapi.yaml"');
    const spec = await get(plain, "/docs/openapi.yaml");
    expect(spec.headers.get("content-type")).toMatch(/^application\/yaml/);
    expect(await spec.text()).toBe(readFileSync(SPEC_PATH, "utf8"));
    const bundle = await (await get(plain, "/docs/redoc.standalone.js")).text();
    expect(bundle.length).toBeGreaterThan(1_000_000);
    expect(bundle).not.toContain("cdn.redoc.ly");
  });

  it("gives browsers a page linking to /docs and the dashboard, and API clients the JSON 404 as before", async () => {
    const page = await get(plain, "/", html);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/^default-src 'none'/);
    const text = await page.text();
    expect(text).toContain('href="/docs"');
    expect(text).toContain('href="/__mock/ui/"');
    for (const accept of [undefined, "application/json", "*/*"]) {
      const res = await get(plain, "/", accept ? { Accept: accept } : {});
      expect(res.status, String(accept)).toBe(404);
      expect(await res.json()).toMatchObject({ code: "NOT_FOUND" });
    }
    // Only GET and HEAD are pages: other methods get the JSON 404 as before (no automatic OPTIONS answer).
    for (const [method, path] of [["OPTIONS", "/"], ["POST", "/"], ["OPTIONS", "/docs"], ["DELETE", "/docs/openapi.yaml"], ["OPTIONS", "/__mock/ui/"], ["POST", "/__mock/ui/"]] as const) {
      const res = await fetch(plain.origin + path, { method, headers: html });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toMatchObject({ code: "NOT_FOUND" });
    }
    const off = await (await get(noAdmin, "/", html)).text();
    expect(off).not.toContain('href="/__mock/ui/"');
    expect(off).toContain("--no-admin");
  });
});
