/**
 * The dashboard's Faults and Doctor panels in real Chromium: faults injected
 * by an arming or by chaos show without a reload, chaos changed in the UI is
 * what GET /__mock/chaos reports, and the doctor's findings (a client polling
 * too fast, a receiver the probe shows accepting forgeries) appear live. The
 * same page guards as every browser test (test/helpers/browser.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { MockOptions } from "../src/options.js";
import { createMockServer, type MockServer } from "../src/server.js";
import { createWebhookReceiver, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { useBrowser } from "./helpers/browser.js";
import { control, TestClient, TRYON_BODY } from "./helpers/client.js";

const KEY = "ae_test_faultsdoctor1";
const MASKED = "ae_test_faul…tor1";
const VISION = { model_id: "moondream2", image_url: "https://example.com/p.jpg" };
const mocks: MockServer[] = [];
const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await Promise.all(mocks.splice(0).map((m) => m.close()));
});
// After the hook above, so pages are checked and closed while their mock still serves them.
const { open } = useBrowser("ui-faults-doctor");

async function mock(options: Partial<MockOptions> = {}): Promise<MockServer> {
  const m = await createMockServer({ seed: 12, ...options });
  mocks.push(m);
  return m;
}

/** The dashboard, loaded and following the live stream. */
async function dashboard(server: MockServer) {
  const g = await open();
  await g.page.goto(`${server.origin}/__mock/ui/`);
  await g.page.getByRole("banner").getByText("Live", { exact: true }).waitFor();
  const region = (name: string) => g.page.getByRole("region", { name, exact: true });
  return { ...g, region };
}

describe("the Faults panel", () => {
  it("arms latency for the poll phase from Scenarios; the faulted poll shows in Faults without a reload", async () => {
    const server = await mock();
    await control(server, "POST", "/clock/freeze");
    const { region } = await dashboard(server);
    const scenarios = region("Scenarios");
    await scenarios.getByLabel("Scenario").selectOption("latency");
    await scenarios.getByLabel("Phase").selectOption("poll");
    await scenarios.getByLabel("Key").fill(KEY);
    await scenarios.getByLabel("Count").fill("1");
    await scenarios.getByLabel("ms", { exact: true }).fill("5");
    await scenarios.getByRole("button", { name: "Arm", exact: true }).click();
    await scenarios.getByText(`Armed latency; ms=5 for ${MASKED}, the next 1 poll.`).waitFor();
    const armed = scenarios.getByRole("list", { name: "Armed scenarios" }).getByRole("listitem").filter({ hasText: "latency" });
    expect(await armed.textContent()).toContain("poll");
    expect((await control(server, "GET", "/scenarios")).body.armed).toMatchObject([{ scenario: "latency", phase: "poll", params: { ms: 5 }, remaining: 1 }]);

    const faults = region("Faults");
    await faults.getByText("No fault injected yet", { exact: false }).waitFor();
    const api = new TestClient(server, KEY);
    const submit = await api.post("/vision", VISION);
    expect(submit.headers["x-mock-fault"]).toBeUndefined();
    const poll = await api.poll(submit.body.poll_url);
    expect(poll.headers["x-mock-fault"]).toBe("latency; ms=5");

    const row = faults.getByRole("table", { name: "Injected faults, newest first" }).getByRole("row").filter({ hasText: "latency" });
    await row.waitFor({ timeout: 2000 });
    expect(await row.textContent()).toMatch(/latency.*poll.*ae_test_faul…tor1.*GET \/api\/v1\/jobs\//);
    expect(await faults.getByRole("list", { name: "Faults by phase" }).textContent()).toBe("poll 1");
    await faults.getByText("1 injected", { exact: true }).waitFor();
    await armed.waitFor({ state: "detached", timeout: 2000 });
  });

  it("applies chaos from the form, which GET /__mock/chaos reports; a submit then meets a fault, shown live; Chaos off ends it", async () => {
    const server = await mock();
    // Chaos's latency made short, so a draw of it costs the test nothing.
    await control(server, "PUT", "/chaos", { params: { latency: { ms: 1 } } });
    const { region } = await dashboard(server);
    const faults = region("Faults");
    await faults.getByText("Off", { exact: true }).waitFor();
    await faults.getByLabel("Rate (0 to 1)").fill("1");
    await faults.getByLabel("Profile").selectOption("overloaded");
    await faults.getByRole("button", { name: "Apply chaos" }).click();
    await faults.getByText("On: 100 % overloaded", { exact: true }).waitFor();
    expect((await control(server, "GET", "/chaos")).body).toMatchObject({ rate: 1, profile: "overloaded", params: { latency: { ms: 1 } } });

    const submit = await new TestClient(server, KEY).post("/vision", VISION);
    const injected = submit.headers["x-mock-fault"]!.split(";")[0]!;
    expect(["rate_limited", "latency", "submission_error"]).toContain(injected);
    const row = faults.getByRole("table", { name: "Injected faults, newest first" }).getByRole("row").filter({ hasText: "POST /api/v1/vision" });
    await row.waitFor({ timeout: 2000 });
    expect(await row.textContent()).toContain(injected);
    expect(await row.textContent()).toContain(String(submit.status));

    await faults.getByRole("button", { name: "Chaos off" }).click();
    await faults.getByText("Off", { exact: true }).waitFor();
    expect((await control(server, "GET", "/chaos")).body.rate).toBe(0);
    expect((await new TestClient(server, KEY).post("/vision", VISION)).headers["x-mock-fault"]).toBeUndefined();
  });
});

describe("the Doctor panel", () => {
  it("shows poll-too-fast for a job polled 0.8 s after the previous poll, live, and filters by key", async () => {
    let wall = Date.now();
    const server = await mock({ wallNow: () => wall });
    const { region, page } = await dashboard(server);
    const doctor = region("Doctor");
    await doctor.getByText("clean", { exact: true }).waitFor();

    const api = new TestClient(server, KEY);
    const submit = await api.post("/tryon", TRYON_BODY);
    wall += 3000;
    await api.poll(submit.body.poll_url);
    wall += 800;
    await api.poll(submit.body.poll_url);

    const table = doctor.getByRole("table", { name: "Doctor findings" });
    const row = table.getByRole("row").filter({ hasText: "poll-too-fast" });
    await row.waitFor({ timeout: 3000 });
    expect(await row.textContent()).toContain("warning");
    expect(await row.textContent()).toContain(MASKED);
    expect(await row.textContent()).toContain(submit.body.job_id.slice(0, 8));
    expect(await row.textContent()).toContain("Polled 800 ms after the previous poll");
    await doctor.getByText("1 warning", { exact: true }).waitFor();
    expect(await doctor.getByRole("definition").first().textContent()).toContain("Wait at least 2 s between polls");

    const filter = doctor.getByLabel("Key", { exact: true });
    await filter.fill("ae_test_someone_else01");
    await filter.press("Enter");
    await table.getByText("No findings", { exact: false }).waitFor();
    await doctor.getByRole("button", { name: "Show all keys" }).click();
    await row.waitFor();
    // A key in the table filters by its key_ref, which the server takes back.
    const [answer] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/__mock/doctor" && new URL(r.url()).searchParams.has("key")),
      row.getByRole("button", { name: MASKED }).click(),
    ]);
    expect(await filter.inputValue()).toMatch(/^k_[0-9a-f]{12}$/);
    expect(new URL(answer.url()).searchParams.get("key")).toBe(await filter.inputValue());
    expect((await answer.json()).findings.map((f: { rule: string }) => f.rule)).toEqual(["poll-too-fast"]);
    await row.waitFor();
  });

  it("Run probe against a receiver that answers 200 to anything shows webhook-unverified, with its evidence", async () => {
    const server = await mock();
    const receiver = await createWebhookReceiver();
    receivers.push(receiver);
    await control(server, "POST", "/clock/freeze");
    await new TestClient(server, KEY).post("/vision", { ...VISION, webhook_url: receiver.url, webhook_secret: "whsec_probe_ui" });
    await control(server, "POST", "/clock/advance", { ms: 60_000 });
    await receiver.waitFor(() => true, 5000);
    const { region } = await dashboard(server);
    const doctor = region("Doctor");
    const row = doctor.getByRole("row").filter({ hasText: "webhook-unverified" });
    expect(await row.count()).toBe(0);

    await doctor.getByRole("button", { name: "Run probe" }).click();
    await doctor.getByText(`Probed 1 receiver: ${receiver.url} accepts forgeries (webhook-unverified).`).waitFor({ timeout: 5000 });
    await row.waitFor({ timeout: 3000 });
    expect(await row.textContent()).toContain("error");
    expect(receiver.deliveries).toHaveLength(4);
    await row.getByRole("button", { name: "webhook-unverified" }).click();
    const evidence = doctor.getByRole("list").filter({ hasText: "tampered" });
    for (const tamper of ["signature", "timestamp", "body"]) await evidence.getByText(`(${tamper} tampered) → 200`, { exact: false }).waitFor();
    expect((await control(server, "GET", "/doctor")).body.findings.map((f: { rule: string }) => f.rule)).toContain("webhook-unverified");
  });
});
