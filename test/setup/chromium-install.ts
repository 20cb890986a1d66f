import { chromium } from "playwright-core";
import { LAUNCH_ARGS, ensureChromium } from "../helpers/chromium.js";

/**
 * Once per test run, before any test file starts: makes sure Debian's
 * Chromium is here (installing it as root when missing; without root it fails
 * naming the command; never a skip), then starts it once. A freshly installed
 * Chromium spends its first launch building caches; done here, that time
 * counts against no test's timeout.
 */
export default async function setup(): Promise<void> {
  const path = ensureChromium();
  const started = performance.now();
  const browser = await chromium.launch({ executablePath: path, args: LAUNCH_ARGS, headless: true });
  await (await browser.newPage()).setContent("<p>warm</p>");
  await browser.close();
  if (process.env.CI === "true") console.error(`[browser] using ${path} (first launch ${Math.round(performance.now() - started)} ms)`);
}
