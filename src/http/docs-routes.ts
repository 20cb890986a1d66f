import { readFileSync } from "node:fs";
import type { Request } from "express";
import { Router } from "express";
import { SPEC_PATH } from "../spec/load.js";
import { VERSION } from "../version.js";
import { cspHash, escapeHtml, sendPage, VENDOR_FILES } from "./pages.js";

/**
 * Redoc needs inline styles (styled-components) and a blob: worker for its
 * search; everything else is 'self', so nothing leaves the machine.
 */
export const DOCS_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ArtEmotion API reference (artemotion-mock ${escapeHtml(VERSION)})</title>
<link rel="icon" href="data:,">
<style>body{margin:0}</style>
</head>
<body>
<redoc spec-url="/docs/openapi.yaml" native-scrollbars="true" expand-responses="200,202"></redoc>
<script src="/docs/redoc.standalone.js"></script>
</body>
</html>
`;

const ROOT_STYLE = "body{font:15px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#111827}code{background:#f3f4f6;padding:0 .25em}a{color:#1d4ed8}";

function rootHtml(admin: boolean): string {
  const ui = admin
    ? `<li><a href="/__mock/ui/">QA dashboard</a>: scenarios, webhook deliveries, the virtual clock, jobs, the request journal and accounts, live.</li>`
    : `<li>The QA dashboard and the <code>/__mock</code> control API are off (<code>--no-admin</code>).</li>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>artemotion-mock</title>
<link rel="icon" href="data:,">
<style>${ROOT_STYLE}</style>
</head>
<body>
<main>
<h1>artemotion-mock ${escapeHtml(VERSION)}</h1>
<p>A local, stateful mock of the ArtEmotion REST API. Point your client at <code>/api/v1</code>.</p>
<ul>
<li><a href="/docs">API reference</a>, rendered offline from <a href="/docs/openapi.yaml">openapi.yaml</a>.</li>
${ui}
</ul>
</main>
</body>
</html>
`;
}

/** The one outside URL in Redoc 2.5's bundle: the sidebar's "API docs by Redocly" logo. */
const REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg";
const BLANK_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E";
let redocBundle: Buffer | undefined;

/**
 * Redoc's standalone bundle with its logo pointed at a blank data: image. The
 * CSP would block the logo anyway, but the browser reports each block as a
 * console error; this way the page loads clean. Read once: it is immutable.
 */
function patchedRedoc(): Buffer {
  redocBundle ??= Buffer.from(readFileSync(VENDOR_FILES["redoc.standalone.js"], "utf8").replaceAll(REDOC_LOGO, BLANK_IMAGE), "utf8");
  return redocBundle;
}

/** A browser asking for a page gets one; API clients (no Accept, JSON or *\/*) keep the JSON 404 at `/`. */
const wantsHtml = (req: Request) => req.accepts(["json", "html"]) === "html";

/** `/` (a page linking to /docs and the dashboard) and `/docs` (Redoc 2.5 rendering openapi.yaml, offline). */
export function docsRouter(opts: { admin: boolean }): Router {
  const router = Router({ strict: true });
  // Pages are GET and HEAD only; anything else leaves the router before Express's automatic OPTIONS answer.
  router.use((req, _res, next) => next(req.method === "GET" || req.method === "HEAD" ? undefined : "router"));
  const root = rootHtml(opts.admin);
  const rootCsp = `default-src 'none'; style-src ${cspHash(ROOT_STYLE)}; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  router.get("/", (req, res, next) => (wantsHtml(req) ? sendPage(res, rootCsp, root) : next()));
  router.get(["/docs", "/docs/"], (_req, res) => sendPage(res, DOCS_CSP, DOCS_HTML));
  router.get("/docs/openapi.yaml", (_req, res) => {
    res.set({ "Content-Type": "application/yaml; charset=utf-8", "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff" });
    res.sendFile(SPEC_PATH);
  });
  router.get("/docs/redoc.standalone.js", (_req, res) => {
    res.set({ "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff" });
    res.send(patchedRedoc());
  });
  return router;
}
