/**
 * Real Chromium for the browser tests: Debian's `chromium`, driven by
 * playwright-core. Installs it when missing and running as root, otherwise
 * fails naming the command; never skips (under CI=true or not). Every page
 * aborts and records non-loopback requests and collects console and page
 * errors, and a failed test leaves a screenshot in test-artifacts/.
 */
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";

export { CHROMIUM_PATH, INSTALL_COMMAND, LAUNCH_ARGS, ensureChromium, expectedChromiumMajor } from "./chromium.js";
import { CHROMIUM_PATH, LAUNCH_ARGS, ensureChromium, expectedChromiumMajor } from "./chromium.js";
export const ARTIFACTS_DIR = new URL("../../test-artifacts/", import.meta.url).pathname;

/** Launches Debian's Chromium, logs its version, and refuses one more than a major away from playwright-core's. */
export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: ensureChromium(), args: LAUNCH_ARGS, headless: true });
  const version = browser.version();
  const want = expectedChromiumMajor();
  console.log(`[browser] Chromium ${version} (playwright-core ${createRequire(import.meta.url)("playwright-core/package.json").version} expects ${want})`);
  const major = Number(version.split(".")[0]);
  if (!(Math.abs(major - want) <= 1)) {
    await browser.close();
    throw new Error(`Chromium ${version} at ${CHROMIUM_PATH} is major ${major}, but playwright-core expects ${want} (±1). Pin playwright-core to the minor that bundles Chromium ${major}, or install a matching chromium.`);
  }
  return browser;
}

/** 127.0.0.0/8, ::1 and localhost; data: and blob: never reach the network. */
export function isLoopbackUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === "data:" || u.protocol === "blob:" || u.protocol === "about:") return true;
  const host = u.hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export interface GuardedPage {
  context: BrowserContext;
  page: Page;
  /** Non-loopback requests, aborted. */
  blocked: string[];
  consoleErrors: string[];
  pageErrors: string[];
}

export async function openGuardedPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<GuardedPage> {
  const context = await browser.newContext({ viewport, permissions: ["clipboard-read", "clipboard-write"] });
  // Under vitest's 20 s: a wait that never ends fails naming its locator, not as a bare test timeout.
  context.setDefaultTimeout(15_000);
  const g: GuardedPage = { context, page: undefined as unknown as Page, blocked: [], consoleErrors: [], pageErrors: [] };
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (isLoopbackUrl(url)) return route.continue();
    g.blocked.push(url);
    return route.abort("blockedbyclient");
  });
  g.page = await context.newPage();
  g.page.on("console", (m) => {
    if (m.type() === "error") g.consoleErrors.push(`${m.text()} @ ${m.location().url}`);
  });
  g.page.on("pageerror", (e) => g.pageErrors.push(String(e.stack ?? e)));
  return g;
}

/**
 * One browser for the file, a fresh context and page per test. After each
 * test: a screenshot when it failed, then the checks every page test makes
 * (no outside request, no console error, no page error).
 */
export function useBrowser(file: string): { browser: () => Browser; open: (viewport?: { width: number; height: number }) => Promise<GuardedPage> } {
  let browser: Browser | undefined;
  let current: GuardedPage[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(() => {
    current = [];
  });
  afterEach(async (ctx) => {
    const pages = current;
    current = [];
    const failed = ctx.task.result?.state === "fail";
    // The guards' findings fail a test that passed so far, and earn it a screenshot too.
    const findings = pages.some((g) => g.blocked.length + g.pageErrors.length + g.consoleErrors.length > 0);
    try {
      if (failed || findings) {
        mkdirSync(ARTIFACTS_DIR, { recursive: true });
        for (const [i, g] of pages.entries()) {
          const name = `${file}-${ctx.task.name}`.replace(/[^A-Za-z0-9_.-]+/g, "-").slice(0, 150);
          await g.page.screenshot({ path: join(ARTIFACTS_DIR, `${name}${i ? `-${i}` : ""}.png`), fullPage: true }).catch(() => {});
        }
      }
      if (!failed) {
        for (const g of pages) {
          expect(g.blocked, "requests to non-loopback addresses").toEqual([]);
          expect(g.pageErrors, "page errors").toEqual([]);
          expect(g.consoleErrors, "console errors").toEqual([]);
        }
      }
    } finally {
      await Promise.all(pages.map((g) => g.context.close().catch(() => {})));
    }
  });
  return {
    browser: () => browser!,
    open: async (viewport) => {
      const g = await openGuardedPage(browser!, viewport);
      current.push(g);
      return g;
    },
  };
}
