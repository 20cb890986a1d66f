import { describe, expect, it } from "vitest";
import { priceOf, Wallet } from "../src/contract/money.js";

const ok = (body: object) => ({ status: 202, body, forcedInsufficient: false });
const poor = (error: string, forcedInsufficient = false) => ({ status: 402, body: { error, code: "INSUFFICIENT_CREDITS" }, forcedInsufficient });

describe("the contract suite's money ledger", () => {
  it("prices a submit from the one catalog, defaults and fal-ai/ prefixes included", () => {
    expect([priceOf("tryon", undefined), priceOf("vision", "fal-ai/llava-next"), priceOf("generate", "flux-pro"), priceOf("vision", "no-such")]).toEqual([15, 4, 10, null]);
  });

  it("on a mock, holds every credits_left to the start read through the control API, so a constant offset fails", () => {
    const w = new Wallet();
    w.set(1000);
    expect(w.observe(2, ok({ credits_used: 2, credits_left: 998 }))).toEqual([]);
    expect(w.observe(2, ok({ credits_used: 2, credits_left: 991 }))).toEqual(["credits_left is 991, but the ledger expects 996 (charges 4, refunds 0)"]);
  });

  it("on a live target, takes the first credits_left as the baseline and holds every later one to it", () => {
    const w = new Wallet();
    expect(w.observe(2, ok({ credits_used: 2, credits_left: 37 }))).toEqual([]);
    expect(w.observe(15, ok({ credits_used: 15, credits_left: 22 }))).toEqual([]);
    expect(w.observe(15, ok({ credits_used: 15, credits_left: 8 }))).toHaveLength(1);
  });

  it("fails a charge other than the catalog price even when the balance agrees with it", () => {
    const w = new Wallet();
    w.set(100);
    expect(w.observe(2, ok({ model_id: "imageutils/nsfw", credits_used: 3, credits_left: 97 }))).toEqual(["credits_used is 3, but the catalog price of imageutils/nsfw is 2"]);
  });

  it("checks a 402's Required against the catalog and its available against the ledger, except for the documented insufficient_credits scenario", () => {
    const w = new Wallet();
    w.set(1);
    expect(w.observe(15, poor("Insufficient credits. Required: 15, available: 1."))).toEqual([]);
    expect(w.observe(15, poor("Insufficient credits. Required: 20, available: 3."))).toEqual([
      "the 402 says Required: 20, but the catalog price is 15",
      "the 402 says available: 3, but the ledger expects 1 (charges 0, refunds 0)",
    ]);
    expect(w.observe(2, poor("Insufficient credits. Required: 2, available: 5."))).toContain("the 402 says available: 5, which covers Required: 2");
    w.set(500);
    expect(w.observe(2, poor("Insufficient credits. Required: 2, available: 0.", true))).toEqual([]);
  });

  it("leaves the balance unchanged after a refunded submission error, and settles against the control API", () => {
    const w = new Wallet();
    w.set(100);
    w.observe(15, { status: 502, body: { code: "SUBMISSION_ERROR", error: "x" }, forcedInsufficient: false });
    expect([w.settle(100), w.settle(85)]).toEqual([null, "the control API reports a balance of 85, but the ledger expects 100 (charges 15, refunds 15)"]);
  });
});
