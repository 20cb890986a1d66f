import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { summarise } from "../src/contract/report.js";
import { SpendGuard, SpendingRefused } from "../src/contract/spending.js";
import { createMockServer, type MockServer } from "../src/server.js";
import { startDriftProxy } from "./helpers/drift-proxy.js";

describe("the contract suite's spending guard", () => {
  it("on a live target, refuses a billable test's submit whose catalog price would pass the budget", () => {
    const g = new SpendGuard(3, true);
    g.begin("[billable 2 cr] two captions", { kind: "billable", cost: 2 });
    g.beforeSubmit("POST /vision", 2);
    expect(g.charged(2, "POST /vision")).toBeNull();
    expect(() => g.beforeSubmit("POST /vision", 2)).toThrow(/would have gone past the budget: POST \/vision costs 2 credits at the catalog price, and 2 of 3 are spent/);
    expect(g.stopped?.test).toBe("[billable 2 cr] two captions");
  });

  it("on a live target, stops spending at a free test's first charge and refuses every later submit", () => {
    const g = new SpendGuard(100, true);
    g.begin("[free] /tryon with an unknown model answers 400", { kind: "free" });
    g.beforeSubmit("POST /tryon", null);
    expect(g.charged(15, "POST /tryon")?.reason).toBe('"[free] /tryon with an unknown model answers 400" is free but was charged 15 credits by a 202 on POST /tryon (15 in this test)');
    g.begin("[billable 2 cr] a caption", { kind: "billable", cost: 2 });
    const refused = (() => {
      try {
        g.beforeSubmit("POST /vision", 2);
      } catch (e) {
        return e;
      }
    })();
    expect(refused).toBeInstanceOf(SpendingRefused);
    expect((refused as SpendingRefused).overspend).toBeNull();
  });

  it("on a live target, stops spending at the charge that takes a billable test past its declaration, not when the test ends", () => {
    const g = new SpendGuard(100, true);
    g.begin("[billable 2 cr] two captions", { kind: "billable", cost: 2 });
    expect(g.charged(2, "POST /vision")).toBeNull();
    expect(g.charged(2, "POST /vision")?.charged).toBe(4);
    expect(() => g.beforeSubmit("POST /vision", 2)).toThrow(SpendingRefused);
  });

  it("on a mock, refuses nothing and reports a charge beyond the declaration when the test ends", () => {
    const g = new SpendGuard(0, false);
    g.begin("[free] x", { kind: "free" });
    g.beforeSubmit("POST /tryon", 15);
    expect(g.charged(15, "POST /tryon")).toBeNull();
    g.begin("[billable 2 cr] y", { kind: "billable", cost: 2 });
    g.beforeSubmit("POST /vision", 2);
    g.charged(2, "POST /vision");
    g.beforeSubmit("POST /vision", 2);
    g.charged(2, "POST /vision");
    expect(g.end()).toMatchObject({ declared: 2, charged: 4 });
    expect(g.spent).toBe(19);
  });
});

describe("the contract client on a target that is not a mock", () => {
  let mock: MockServer;
  let proxy: Awaited<ReturnType<typeof startDriftProxy>>;
  let runDir: string;
  const submits: string[] = [];
  const saved = { ...process.env };
  beforeAll(async () => {
    mock = await createMockServer({ timing: "instant" });
    proxy = await startDriftProxy(mock.origin, {
      name: "looks live", hideControl: true,
      request: (r) => void (r.method === "POST" && submits.push(r.url)),
    });
    runDir = mkdtempSync(join(tmpdir(), "ctbudget-"));
    // What `artemotion-mock contract` hands the suite: a live-looking target and a budget of 3 credits.
    Object.assign(process.env, {
      AE_BASE_URL: `${proxy.url}/api/v1`, AE_API_KEY: "ae_test_budgetshort1", AE_CONTRACT_BUDGET: "3",
      AE_CONTRACT_RUN_DIR: runDir, AE_CONTRACT_IS_MOCK: "0", AE_CONTRACT_RECORD_DIR: "",
    });
  });
  afterAll(async () => {
    process.env = saved;
    await proxy.close();
    await mock.close();
    rmSync(runDir, { recursive: true, force: true });
  });

  it("sends no submit beyond the budget: with one credit short, the second 2-credit submit is refused unsent and spending stops (exit 3)", async () => {
    const { ContractClient } = await import("../contracts/support/client.js");
    const { beginSpending, creditsSpent } = await import("../contracts/support/budget.js");
    const { contractConfig } = await import("../contracts/support/config.js");
    const { setCurrentTest } = await import("../contracts/support/ledger.js");
    const name = "[billable 2 cr] a test that declares one caption and submits two";
    setCurrentTest(name);
    beginSpending(name, { kind: "billable", cost: 2 });
    const api = new ContractClient(undefined, contractConfig());
    const body = { model_id: "moondream2", image_url: "https://example.com/a.jpg" };
    expect((await api.post("/vision", body)).status).toBe(202);
    await expect(api.post("/vision", body)).rejects.toThrow(/budget: .*POST \/vision costs 2 credits at the catalog price, and 2 of 3 are spent; the submit was refused, not sent/);
    expect(submits).toEqual(["/api/v1/vision"]);
    expect(creditsSpent()).toBe(2);
    const ledger = readFileSync(join(runDir, "ledger.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(ledger.filter((l) => l.type === "overspend")).toMatchObject([{ test: name, declared: 2, charged: 4 }]);
    expect(summarise("live", false, 3, [], ledger, []).exitCode).toBe(3);
    // And every later submit of the run, in any test, is refused too.
    beginSpending("[free] a later test", { kind: "free" });
    await expect(api.post("/vision", { model_id: "no-such-model", image_url: "https://example.com/a.jpg" })).rejects.toThrow(/stopped spending/);
    expect(submits).toHaveLength(1);
  });
});
