/**
 * /docs (Redoc 2.5 rendering openapi.yaml offline) and the root page, in real
 * Chromium, with the same guards as every page test: no outside request, no
 * console or page error (test/helpers/browser.ts).
 */
import { AxeBuilder } from "@axe-core/playwright";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTTP_METHODS, loadSpec } from "../src/spec/load.js";
import { createMockServer, type MockServer } from "../src/server.js";
import { isLoopbackUrl, openGuardedPage, useBrowser } from "./helpers/browser.js";

const { open, browser } = useBrowser("ui-docs");
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
    const result = await new AxeBuilder({ page }).options({ resultTypes: ["violations"] }).analyze();
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

describe("the page guard every browser test relies on", () => {
  it("aborts and records requests that would leave loopback, and records console and page errors", async () => {
    expect(["http://127.0.0.1:1/x", "http://127.8.9.10/", "http://localhost:4010/", "http://[::1]:80/", "data:,", "blob:http://127.0.0.1/x"].every(isLoopbackUrl)).toBe(true);
    expect(["https://example.invalid/", "http://10.0.0.1/", "http://127.0.0.1.example.invalid/", "http://[::2]/", "not a url"].some(isLoopbackUrl)).toBe(false);
    // Opened outside useBrowser: this page is meant to break the rules the others are checked against.
    const g = await openGuardedPage(browser());
    try {
      await g.page.goto(`${server.origin}/api/v1/models`);
      await g.page.evaluate(async () => {
        await fetch("https://example.invalid/telemetry").catch(() => {});
        console.error("a console error");
        setTimeout(() => {
          throw new Error("a page error");
        });
      });
      await g.page.waitForEvent("pageerror");
      expect(g.blocked).toEqual(["https://example.invalid/telemetry"]);
      expect(g.consoleErrors.some((e) => e.startsWith("a console error"))).toBe(true);
      expect(g.pageErrors.join()).toContain("a page error");
    } finally {
      await g.context.close();
    }
  });
});
