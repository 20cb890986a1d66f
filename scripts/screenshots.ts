/**
 * `npm run screenshots`: PNGs of the dashboard (1280×800 and 1920×1080), of
 * each panel, and of /docs, from a seeded mock, into screenshots/ (or
 * $SCREENSHOTS_DIR). It runs under vitest for TypeScript and the tests'
 * browser helper; docs/dashboard.png in the README is one of these.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { it } from "vitest";
import { createMockServer } from "../src/server.js";
import { launchChromium, openGuardedPage } from "../test/helpers/browser.js";
import { SEED_KEYS, seedDashboard } from "../test/helpers/ui-seed.js";

const OUT = resolve(process.env.SCREENSHOTS_DIR ?? "screenshots");
const PANELS = ["scenarios", "deliveries", "clock", "jobs", "requests", "accounts", "session"];

it("writes a PNG of the dashboard, each panel and /docs", async () => {
  mkdirSync(OUT, { recursive: true });
  const server = await createMockServer({ seed: 7 });
  const receiver = await seedDashboard(server, { jobs: 40 });
  const browser = await launchChromium();
  try {
    for (const viewport of [{ width: 1280, height: 800 }, { width: 1920, height: 1080 }]) {
      const { page, context } = await openGuardedPage(browser, viewport);
      await page.goto(`${server.origin}/__mock/ui/`);
      await page.getByRole("region", { name: "Jobs" }).getByRole("row").nth(2).waitFor();
      // A mock without GET /__mock/accounts lists the keys set in this page: set two, as a user would.
      const accounts = page.getByRole("region", { name: "Accounts" });
      for (const [key, credits] of [[SEED_KEYS[0], 960], [SEED_KEYS[2], 3]] as const) {
        await accounts.getByLabel("Key").fill(key);
        await accounts.getByLabel("Credits").fill(String(credits));
        await accounts.getByRole("button", { name: "Set credits" }).click();
        await accounts.getByText(`now has ${credits} credits`).waitFor();
      }
      await page.getByRole("region", { name: "Webhook deliveries" }).getByRole("button", { name: "dlv_000001" }).click();
      await page.getByRole("region", { name: "Webhook deliveries" }).getByRole("heading", { name: "Raw body" }).waitFor();
      await page.evaluate(() => window.scrollTo(0, 0));
      const size = `${viewport.width}x${viewport.height}`;
      await page.screenshot({ path: join(OUT, `dashboard-${size}.png`) });
      if (viewport.width === 1280) {
        for (const id of PANELS) await page.locator(`#${id}`).screenshot({ path: join(OUT, `panel-${id}.png`) });
      }
      await context.close();
    }
    const { page, context } = await openGuardedPage(browser, { width: 1280, height: 800 });
    await page.goto(`${server.origin}/docs`);
    await page.getByText("A job reached a terminal state").first().waitFor();
    await page.screenshot({ path: join(OUT, "docs.png") });
    await context.close();
    console.log(`screenshots written to ${OUT}`);
  } finally {
    await browser.close();
    await receiver.close();
    await server.close();
  }
});
