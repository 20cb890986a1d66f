/**
 * Debian's Chromium, found or installed: shared by the browser tests and the
 * test run's global set-up (no vitest import here, so the set-up can load it).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

export const CHROMIUM_PATH = "/usr/bin/chromium";
export const INSTALL_COMMAND = "apt-get update && apt-get install -y chromium";
export const LAUNCH_ARGS = ["--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** The Chromium major this playwright-core was built against (1.64 → 156). */
export function expectedChromiumMajor(): number {
  const dir = createRequire(import.meta.url).resolve("playwright-core/package.json").replace(/package\.json$/, "");
  const browsers = JSON.parse(readFileSync(join(dir, "browsers.json"), "utf8")) as { browsers: { name: string; browserVersion: string }[] };
  const version = browsers.browsers.find((b) => b.name === "chromium")?.browserVersion;
  if (!version) throw new Error("playwright-core's browsers.json names no chromium version");
  return Number(version.split(".")[0]);
}

/** /usr/bin/chromium, installed with apt when missing and we are root; otherwise an error naming the command. */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const ci = process.env.CI === "true" ? " (CI=true: a missing browser fails the run, it is never skipped)" : "";
  if (process.getuid?.() !== 0) throw new Error(`Chromium is missing at ${CHROMIUM_PATH}${ci}. Install it as root: ${INSTALL_COMMAND}`);
  // Browser test files start in parallel: flock lets one of them install while the others wait.
  console.log(`[browser] ${CHROMIUM_PATH} is missing; running: ${INSTALL_COMMAND}`);
  execFileSync("flock", ["/tmp/artemotion-mock-chromium.lock", "sh", "-c", `test -x ${CHROMIUM_PATH} || (${INSTALL_COMMAND})`], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    timeout: 10 * 60_000,
  });
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Installing Chromium did not produce ${CHROMIUM_PATH}${ci}. Run: ${INSTALL_COMMAND}`);
  return CHROMIUM_PATH;
}

