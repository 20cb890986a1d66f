/**
 * The QA dashboard in real Chromium: each flow drives the UI against a real
 * mock on 127.0.0.1 and checks the result through the public or control API.
 * Every page also asserts no outside request, console error or page error
 * (test/helpers/browser.ts).
 */
import { AxeBuilder } from "@axe-core/playwright";
import autocannon from "autocannon";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/server.js";
import type { MockOptions } from "../src/options.js";
import { createWebhookReceiver, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { useBrowser } from "./helpers/browser.js";
import { control, TestClient, TRYON_BODY } from "./helpers/client.js";
import { seedDashboard } from "./helpers/ui-seed.js";

const KEY = "ae_test_dashboard_01";
const mocks: MockServer[] = [];
const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await Promise.all(mocks.splice(0).map((m) => m.close()));
});
// Registered after the hook above, so its afterEach runs first (vitest runs after-hooks as a stack):
// pages are checked and closed while their mock still serves them, and no live stream is cut under them.
const { open } = useBrowser("ui-dashboard");

async function mock(options: Partial<MockOptions> = {}): Promise<MockServer> {
  const m = await createMockServer({ seed: 15, ...options });
  mocks.push(m);
  return m;
}

/** The dashboard, loaded: its Jobs table is on screen. */
async function dashboard(server: MockServer) {
  const g = await open();
  await g.page.goto(`${server.origin}/__mock/ui/`);
  const region = (name: string) => g.page.getByRole("region", { name, exact: true });
  await region("Jobs").getByRole("table").waitFor();
  return { ...g, region };
}

describe("the QA dashboard at /__mock/ui", () => {
  it("shows a job submitted through the API within a second without a reload, and completed after Advance in the UI", async () => {
    const server = await mock();
    await control(server, "POST", "/clock/freeze");
    const { region, page } = await dashboard(server);
    const jobs = region("Jobs");
    await jobs.getByText("No jobs yet").waitFor();
    // A mock with the event stream (its /health names its store) is followed live; an older one is polled.
    const streams = (await control(server, "GET", "/health")).body.store !== undefined;
    await page.getByRole("banner").getByText(streams ? "Live" : "Polling every 0.5 s", { exact: true }).waitFor();

    const submit = await new TestClient(server, KEY).post("/tryon", TRYON_BODY);
    expect(submit.status).toBe(202);
    const row = jobs.getByRole("row").filter({ hasText: submit.body.job_id.slice(0, 8) });
    await row.waitFor({ timeout: 1000 });
    expect(await row.getByText("queued", { exact: true }).count()).toBe(1);

    const clock = region("Clock");
    await clock.getByRole("radio", { name: "1 min" }).check();
    await clock.getByRole("button", { name: "Advance", exact: true }).click();
    await row.getByText("completed", { exact: true }).waitFor({ timeout: 5000 });
    expect((await new TestClient(server, KEY).poll(submit.body.poll_url)).body.status).toBe("completed");
  });

  it("says Live even when the stream connects between the header's first render and its effects", async () => {
    const server = await mock();
    const g = await open();
    // Timers paused just before /health answers hold back the panels' effects (Preact runs them
    // after a frame), while the stream the answer starts connects: the order a slow machine can give.
    await g.page.clock.install();
    await g.page.route("**/__mock/health", async (route) => {
      await g.page.clock.pauseAt(new Date(Date.now() + 1000));
      await route.continue();
    });
    const stream = g.page.waitForResponse((r) => new URL(r.url()).pathname === "/__mock/events");
    await g.page.goto(`${server.origin}/__mock/ui/`);
    await stream;
    await g.page.getByRole("banner").getByText("Connecting…", { exact: true }).waitFor();
    await g.page.clock.resume();
    await g.page.getByRole("banner").getByText("Live", { exact: true }).waitFor({ timeout: 3000 });
  });

  it("arms job_failed for one key from Scenarios; that key's next submit fails and the armed entry goes away", async () => {
    const server = await mock();
    await control(server, "POST", "/clock/freeze");
    const { region } = await dashboard(server);
    const scenarios = region("Scenarios");
    await scenarios.getByLabel("Scenario").selectOption("job_failed");
    await scenarios.getByLabel("Key").fill(KEY);
    await scenarios.getByLabel("Count").fill("1");
    await scenarios.getByRole("button", { name: "Arm", exact: true }).click();
    const armed = scenarios.getByRole("list", { name: "Armed scenarios" }).getByRole("listitem").filter({ hasText: "job_failed" });
    await armed.waitFor();
    expect(await armed.textContent()).toContain("1 left");
    expect((await control(server, "GET", "/scenarios")).body.armed).toHaveLength(1);

    const api = new TestClient(server, KEY);
    const submit = await api.post("/tryon", TRYON_BODY);
    await control(server, "POST", "/clock/advance", { ms: 60_000 });
    const poll = await api.poll(submit.body.poll_url);
    expect(poll.body.status).toBe("failed");
    await armed.waitFor({ state: "detached", timeout: 5000 });
    // Another key was never affected.
    const other = await new TestClient(server, "ae_test_dashboard_02").post("/tryon", TRYON_BODY);
    await control(server, "POST", "/clock/advance", { ms: 60_000 });
    expect((await new TestClient(server, "ae_test_dashboard_02").poll(other.body.poll_url)).body.status).toBe("completed");
  });

  it("lists a signed webhook delivery, and Redeliver with tamper signature makes a new attempt the receiver rejects", async () => {
    const server = await mock();
    const receiver = await createWebhookReceiver({ secret: "whsec_ui_flow_3" });
    receivers.push(receiver);
    await control(server, "POST", "/clock/freeze");
    const { region } = await dashboard(server);
    const submit = await new TestClient(server, KEY).post("/tryon", { ...TRYON_BODY, webhook_url: receiver.url, webhook_secret: "whsec_ui_flow_3" });
    await control(server, "POST", "/clock/advance", { ms: 60_000 });
    const first = await receiver.waitFor(() => true, 5000);
    expect(first.verification?.ok).toBe(true);

    const deliveries = region("Webhook deliveries");
    const row = deliveries.getByRole("row").filter({ hasText: "dlv_000001" });
    await row.getByText("signed", { exact: true }).waitFor({ timeout: 5000 });
    expect(await row.textContent()).toContain(submit.body.job_id.slice(0, 8));
    await row.getByRole("button", { name: "dlv_000001" }).click();
    await deliveries.getByRole("heading", { name: "Raw body" }).waitFor();
    expect(await deliveries.locator("pre").nth(1).textContent()).toContain(submit.body.job_id);
    await deliveries.getByLabel("Tamper").selectOption("signature");
    await deliveries.getByRole("button", { name: "Redeliver" }).click();

    const forged = await receiver.waitFor((d) => d.verification?.ok === false, 5000);
    expect(forged.verification).toEqual({ ok: false, reason: "signature_mismatch" });
    await deliveries.getByRole("row").filter({ hasText: "signature tampered" }).waitFor({ timeout: 5000 });
    expect(receiver.deliveries).toHaveLength(2);

    // The job links to its deliveries: the panel narrows to that job.
    await region("Jobs").getByRole("link", { name: `Deliveries of job ${submit.body.job_id}` }).click();
    await deliveries.getByText("Show all").waitFor();
    expect(await deliveries.getByRole("row").filter({ hasText: "dlv_" }).count()).toBe(2);
  });

  it("sets a key's credits to 1 in Accounts, and the next submit gets 402", async () => {
    const server = await mock();
    const { region } = await dashboard(server);
    const accounts = region("Accounts");
    await accounts.getByLabel("Key").fill(KEY);
    await accounts.getByLabel("Credits").fill("1");
    await accounts.getByRole("button", { name: "Set credits" }).click();
    await accounts.getByText("now has 1 credits").waitFor();
    await accounts.getByRole("row").filter({ hasText: "ae_test_dash…d_01" }).waitFor();
    expect((await control(server, "GET", `/accounts/${KEY}`)).body.credits).toBe(1);

    const submit = await new TestClient(server, KEY).post("/tryon", TRYON_BODY);
    expect(submit.status).toBe(402);
    expect(submit.body.code).toBe("INSUFFICIENT_CREDITS");
    // The refused submit shows in the journal as an error.
    const requests = region("Requests");
    await requests.getByLabel("Errors only").check();
    await requests.getByRole("row").filter({ hasText: "402" }).waitFor({ timeout: 5000 });
  });

  it("freezes and resumes the clock, and /__mock/clock agrees each time", async () => {
    const server = await mock();
    const { region, page } = await dashboard(server);
    const clock = region("Clock");
    await clock.getByText("Running", { exact: true }).waitFor();
    await clock.getByRole("button", { name: "Freeze" }).click();
    await clock.getByText("Frozen", { exact: true }).waitFor();
    expect((await control(server, "GET", "/clock")).body.frozen).toBe(true);
    // By keyboard this time.
    await clock.getByRole("button", { name: "Resume" }).focus();
    await page.keyboard.press("Enter");
    await clock.getByText("Running", { exact: true }).waitFor();
    expect((await control(server, "GET", "/clock")).body.frozen).toBe(false);
  });

  it("advances the clock to the next scheduled event, which the Clock panel lists", async () => {
    const server = await mock();
    await control(server, "POST", "/clock/freeze");
    const submit = await new TestClient(server, KEY).post("/tryon", TRYON_BODY);
    const job = (await control(server, "GET", "/jobs")).body.jobs[0];
    const { region } = await dashboard(server);
    const clock = region("Clock");
    const next = clock.getByRole("list", { name: "Scheduled events, soonest first" }).getByRole("listitem").first();
    await next.getByText("processing", { exact: true }).waitFor();
    expect(await next.textContent()).toContain(submit.body.job_id.slice(0, 8));
    await clock.getByRole("radio", { name: "to the next scheduled event" }).check();
    await clock.getByRole("button", { name: "Advance", exact: true }).click();
    await clock.getByText("Advanced", { exact: false }).waitFor();
    expect((await control(server, "GET", "/clock")).body.now_ms).toBe(Date.parse(job.processing_at));
    await next.getByText("finishes", { exact: true }).waitFor();
  });

  it("exports the session as one JSON file, and resets only after confirmation", async () => {
    const server = await mock();
    const receiver = await createWebhookReceiver({ secret: "whsec_ui_export" });
    receivers.push(receiver);
    await control(server, "POST", "/clock/freeze");
    const submit = await new TestClient(server, KEY).post("/tryon", { ...TRYON_BODY, webhook_url: receiver.url, webhook_secret: "whsec_ui_export" });
    await control(server, "POST", "/clock/advance", { ms: 60_000 });
    await receiver.waitFor(() => true, 5000);
    await control(server, "POST", "/scenarios", { scenario: "stuck", key: KEY });
    const { region, page } = await dashboard(server);
    const session = region("Session");
    const [download] = await Promise.all([page.waitForEvent("download"), session.getByRole("button", { name: "Export" }).click()]);
    expect(download.suggestedFilename()).toMatch(/^artemotion-mock-session-.*\.json$/);
    const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
    expect(exported.jobs.map((j: { job_id: string }) => j.job_id)).toEqual([submit.body.job_id]);
    expect(exported.requests.length).toBeGreaterThan(0);
    expect(exported.deliveries).toHaveLength(1);
    expect(exported.armed).toHaveLength(1);
    // Keys stay masked in a file meant for bug reports; the webhook secret never appears.
    expect(JSON.stringify(exported)).not.toContain(KEY);
    expect(JSON.stringify(exported)).not.toContain("whsec_ui_export");

    await session.getByRole("button", { name: "Reset" }).click();
    const dialog = page.getByRole("dialog", { name: "Reset the mock?" });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect((await control(server, "GET", "/jobs")).body.jobs).toHaveLength(1);
    await session.getByRole("button", { name: "Reset" }).click();
    await dialog.getByRole("button", { name: "Confirm reset" }).click();
    await region("Jobs").getByText("No jobs yet").waitFor({ timeout: 5000 });
    expect((await control(server, "GET", "/jobs")).body.jobs).toHaveLength(0);
  });

  it("with --admin-token, shows only the token prompt and asks for no data until the token is given", async () => {
    const token = "ui-admin-token-15";
    const server = await mock({ adminToken: token });
    const { page } = await open();
    const dataCalls: string[] = [];
    page.on("request", (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith("/__mock/") && !path.startsWith("/__mock/ui/")) dataCalls.push(path);
    });
    await page.goto(`${server.origin}/__mock/ui/`);
    await page.getByRole("heading", { name: "Admin token" }).waitFor();
    expect(await page.getByRole("region", { name: "Jobs" }).count()).toBe(0);
    expect(await page.getByRole("table").count()).toBe(0);
    expect(dataCalls).toEqual([]);

    await page.getByRole("textbox", { name: "Admin token" }).fill(token);
    await page.getByRole("button", { name: "Unlock" }).click();
    await page.getByRole("region", { name: "Jobs" }).getByRole("table").waitFor();
    expect(dataCalls.length).toBeGreaterThan(0);
  });

  it("has no serious or critical accessibility violations, with data in every panel", async () => {
    const server = await mock();
    receivers.push(await seedDashboard(server));
    const { page, region } = await dashboard(server);
    await region("Jobs").getByRole("row").nth(2).waitFor();
    await region("Webhook deliveries").getByRole("button", { name: "dlv_000001" }).click();
    await region("Webhook deliveries").getByRole("heading", { name: "Raw body" }).waitFor();
    // The seed injected faults and left doctor findings: their panels are checked with data too, a finding opened.
    await region("Faults").getByRole("table").getByRole("row").nth(2).waitFor();
    await region("Doctor").getByRole("button", { name: "webhook-unverified" }).first().click();
    await region("Doctor").getByRole("heading", { name: "Evidence" }).waitFor();
    const result = await new AxeBuilder({ page }).options({ resultTypes: ["violations"] }).analyze();
    const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`)).toEqual([]);
    expect(result.passes.length).toBeGreaterThan(10);
  });

  it("draws only the rows in view with 10,000 jobs", { timeout: 40_000 }, async () => {
    const server = await mock({ rateLimits: false, timing: "instant", credits: 1e9 });
    await control(server, "POST", "/clock/freeze");
    // autocannon: about 3x faster than fetch at putting 10,000 submits through the real API.
    const run = await autocannon({
      url: `${server.baseUrl}/vision`,
      method: "POST",
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
      body: JSON.stringify({ model_id: "moondream2", image_url: "https://example.com/p.jpg" }),
      amount: 10_000,
      connections: 16,
    });
    expect(run["2xx"]).toBe(10_000);
    const { region } = await dashboard(server);
    const jobs = region("Jobs");
    await jobs.getByText("10000 jobs").waitFor({ timeout: 10_000 });
    const table = jobs.getByRole("table");
    expect(await table.getAttribute("aria-rowcount")).toBe("10001");
    const drawn = await table.getByRole("row").count();
    expect(drawn).toBeGreaterThan(5);
    expect(drawn).toBeLessThan(80);
    // Scrolling to the end draws the oldest job.
    await table.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await table.locator('[aria-rowindex="10001"]').waitFor({ timeout: 5000 });
    expect(await table.getByRole("row").count()).toBeLessThan(80);
  });
});
