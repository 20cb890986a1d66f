import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Response } from "express";

/** Files the browser pages load from node_modules, resolved once through Node's own resolution. */
const require = createRequire(import.meta.url);
// require.resolve would pick preact's CommonJS builds: the ES modules sit at fixed places in the package.
const preact = dirname(require.resolve("preact/package.json"));
export const VENDOR_FILES = {
  "preact.mjs": join(preact, "dist/preact.mjs"),
  "hooks.mjs": join(preact, "hooks/dist/hooks.mjs"),
  "jsxRuntime.mjs": join(preact, "jsx-runtime/dist/jsxRuntime.mjs"),
  "redoc.standalone.js": require.resolve("redoc/bundles/redoc.standalone.js"),
} as const;

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** A CSP source for one inline element, so the policy can stay free of 'unsafe-inline'. */
export const cspHash = (inline: string): string => `'sha256-${createHash("sha256").update(inline, "utf8").digest("base64")}'`;

/** Headers every HTML page of the mock sends: its CSP, and no sniffing, framing or referrers. */
export function sendPage(res: Response, csp: string, html: string): void {
  res
    .status(200)
    .set({
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": csp,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "X-Frame-Options": "DENY",
      "Cache-Control": "no-cache",
    })
    .send(html);
}
