import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import express, { Router } from "express";
import { ApiError } from "../domain/errors.js";
import { RATE_LIMITS } from "../domain/rate-limits.js";
import { MAGIC_HOST_SUFFIX, SCENARIOS } from "../domain/scenarios.js";
import { VERSION } from "../version.js";
import { cspHash, escapeHtml, sendPage, VENDOR_FILES } from "./pages.js";

/** The compiled dashboard (tsconfig.ui.json) and its stylesheet; the same two levels up from src/http and dist/http. */
export const UI_BUILD_DIR = fileURLToPath(new URL("../../dist/ui/", import.meta.url));
const UI_SOURCE_DIR = fileURLToPath(new URL("../../src/ui/", import.meta.url));

/** Bare specifiers in the compiled TSX, mapped to preact's ES modules in node_modules. Relative: the page lives at /__mock/ui/. */
const IMPORT_MAP = JSON.stringify({
  imports: { preact: "./vendor/preact.mjs", "preact/hooks": "./vendor/hooks.mjs", "preact/jsx-runtime": "./vendor/jsxRuntime.mjs" },
});

/** Only the import map is inline, allowed by its hash; the dashboard talks to /__mock alone. */
export const UI_CSP = [
  "default-src 'self'",
  `script-src 'self' ${cspHash(IMPORT_MAP)}`,
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function indexHtml(adminTokenRequired: boolean): string {
  // Facts from their one table in the domain: rate limits (to show usage as "n / limit") and the
  // scenario registry (outcomes, for a mock whose GET /__mock/scenarios lists names only).
  const scenarios = Object.entries(SCENARIOS).map(([name, s]) => ({ name, outcome: s.outcome, magic_host: name.replace(/_/g, "-") + MAGIC_HOST_SUFFIX }));
  const meta = escapeHtml(JSON.stringify({ version: VERSION, rateLimits: RATE_LIMITS, tokenRequired: adminTokenRequired, scenarios }));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>artemotion-mock · QA dashboard</title>
<meta name="ae-mock" content="${meta}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="./styles.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="./app/main.js"></script>
</head>
<body>
<div id="app"><p class="boot">Loading the dashboard…</p></div>
<noscript><p>The dashboard needs JavaScript. The same data is at <code>/__mock</code> as JSON.</p></noscript>
</body>
</html>
`;
}

const VENDOR_MODULES = ["preact.mjs", "hooks.mjs", "jsxRuntime.mjs"] as const;

/**
 * /__mock/ui: the dashboard's page and assets. Mounted only when the control
 * API is on, and ahead of its token guard: the page must load to ask for the
 * token, and holds no data; every call it makes goes through the guard.
 */
export function uiRouter(opts: { adminToken: string | null }): Router {
  const router = Router({ strict: true });
  // Pages are GET and HEAD only; anything else leaves the router before Express's automatic OPTIONS answer.
  router.use((req, _res, next) => next(req.method === "GET" || req.method === "HEAD" ? undefined : "router"));
  const html = indexHtml(opts.adminToken !== null);
  const headers = { "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff" };
  router.get("/", (req, res) => {
    // Relative asset URLs need the trailing slash.
    if (!req.originalUrl.split("?")[0]!.endsWith("/")) return res.redirect(308, `${req.baseUrl}/`);
    if (!existsSync(UI_BUILD_DIR)) throw new ApiError("NOT_FOUND", "The dashboard is not built: run `npm run build`.");
    sendPage(res, UI_CSP, html);
  });
  router.get("/styles.css", (_req, res) => void res.set(headers).sendFile("styles.css", { root: UI_SOURCE_DIR }));
  for (const name of VENDOR_MODULES) {
    router.get(`/vendor/${name}`, (_req, res) => void res.set({ ...headers, "Content-Type": "text/javascript; charset=utf-8" }).sendFile(VENDOR_FILES[name]));
  }
  router.use("/app", express.static(UI_BUILD_DIR, { index: false, redirect: false, dotfiles: "ignore", setHeaders: (res) => res.set(headers) }));
  router.use((req) => {
    throw new ApiError("NOT_FOUND", `No dashboard file ${req.path}.`);
  });
  return router;
}
