/**
 * /docs (Redoc 2.5 rendering openapi.yaml offline) and the root page, in real
 * Chromium, with the same guards as every page test: no outside request, no
 * console or page error (test/helpers/browser.ts).
 */
import AxeBuilder from "@axe-core/playwright";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTTP_METHODS, loadSpec } from "../src/spec/load.js";
import { createMockServer, type MockServer } from "../src/server.js";
import { useBrowser } from "./helpers/browser.js";

const { open } = useBrowser("ui-docs");
let server: MockServer;
beforeAll(async () => {
  server = await createMockServer({ seed: 6 });
});
afterAll(async () => {
  await server.close();
});

const spec = loadSpec();
const operations = Object.values(spec.paths ?? {}).flatMap((item) => HTTP_METHODS.flatMap((m) => (item?.[m] ? [item[m]!] : [])));
const webhooks = Object.values(spec.webhooks ?? {}).flatMap((item) => HTTP_METHODS.flatMap((m) => ((item as Record<string, unknown>)?.[m] ? [(item as Record<string, { operationId?: string; summary?: string }>)[m]!] : [])));

describe("/docs, the API reference rendered offline", () => {
  it("shows all six operations and the webhook from openapi.yaml", async () => {
    expect(operations).toHaveLength(6);
    expect(webhooks).toHaveLength(1);
    const { page } = await open();
    await page.goto(`${server.origin}/docs`);
    for (const op of [...operations, ...webhooks]) {
      const section = page.locator(`[data-section-id="operation/${op.operationId}"]`);
      await section.waitFor({ state: "attached", timeout: 10_000 });
      expect(await section.getByRole("heading", { name: op.summary! }).count(), op.operationId).toBeGreaterThan(0);
    }
    // The webhook is listed as an event in the sidebar.
    expect(await page.getByRole("menuitem").filter({ hasText: webhooks[0]!.summary! }).count()).toBe(1);
  });

  it("has no serious or critical accessibility violations", async () => {
    const { page } = await open();
    await page.goto(`${server.origin}/docs`);
    await page.locator(`[data-section-id="operation/${webhooks[0]!.operationId}"]`).waitFor({ state: "attached" });
    const result = await new AxeBuilder({ page }).analyze();
    const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`)).toEqual([]);
  });

  it("links the root page to /docs and to the dashboard", async () => {
    const { page } = await open();
    await page.goto(`${server.origin}/`);
    expect(await page.getByRole("link", { name: "QA dashboard" }).getAttribute("href")).toBe("/__mock/ui/");
    await page.getByRole("link", { name: "API reference" }).click();
    await page.waitForURL(`${server.origin}/docs`);
    await page.locator(`[data-section-id="operation/${operations[0]!.operationId}"]`).waitFor({ state: "attached" });
  });
});
