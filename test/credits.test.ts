import { afterEach, describe, expect, it } from "vitest";
import { control, startMock, TRYON_BODY, TestClient } from "./helpers/client.js";
import type { MockServer } from "../src/server.js";

let server: MockServer;
let api: TestClient;
afterEach(() => server?.close());

const balanceOf = async (key: string) => (await control(server, "GET", `/accounts/${key}`)).body.credits as number;

describe("credits", () => {
  it("provisions a new key with the default balance, and --credits changes that default", async () => {
    ({ server, api } = await startMock({ credits: 37 }));
    const r = await api.post("/vision", { model_id: "llava-next", image_url: "https://example.com/p.jpg", prompt: "What is this?" });
    expect(r.body).toMatchObject({ credits_used: 4, credits_left: 33 });
  });

  it.each([
    ["/tryon", TRYON_BODY, 15],
    ["/tryon", { ...TRYON_BODY, model_id: "flux-2-lora-gallery/virtual-tryon" }, 20],
    ["/tryon", { ...TRYON_BODY, model_id: "fal-ai/flux-2-lora-gallery/virtual-tryon" }, 20],
    ["/vision", { model_id: "moondream2", image_url: "https://example.com/p.jpg" }, 2],
    ["/vision", { model_id: "moondream3-preview/detect", image_url: "https://example.com/p.jpg", prompt: "person" }, 3],
    ["/vision", { model_id: "nvidia/nemotron-3-nano-omni", image_url: "https://example.com/p.jpg", prompt: "Why?" }, 5],
    ["/generate", { prompt: "a red coat" }, 10],
  ] as const)("charges the model's cost on %s and reports the balance after (cost %i)", async (path, body, cost) => {
    ({ server, api } = await startMock());
    const first = await api.post(path, body);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ credits_used: cost, credits_left: 1000 - cost });
    const second = await api.post(path, body);
    expect(second.body).toMatchObject({ credits_used: cost, credits_left: 1000 - 2 * cost });
    expect(await balanceOf(api.key)).toBe(1000 - 2 * cost);
  });

  it("answers 402 with the documented message and changes nothing when the balance is too low", async () => {
    ({ server, api } = await startMock());
    server.setAccount(api.key, 19);
    const r = await api.post("/tryon", { ...TRYON_BODY, model_id: "flux-2-lora-gallery/virtual-tryon" });
    expect(r.status).toBe(402);
    expect(r.body).toEqual({ code: "INSUFFICIENT_CREDITS", error: "Insufficient credits. Required: 20, available: 19." });
    expect(await balanceOf(api.key)).toBe(19);
    expect(server.jobs(api.key)).toEqual([]);
    // The cheaper model still fits, exactly.
    const ok = await api.post("/tryon", TRYON_BODY);
    expect(ok.body).toMatchObject({ credits_used: 15, credits_left: 4 });
  });

  it("charges each key its own balance", async () => {
    ({ server, api } = await startMock());
    const other = new TestClient(server, "ae_test_otherkey0001");
    server.setAccount(api.key, 15);
    expect((await api.post("/tryon", TRYON_BODY)).body.credits_left).toBe(0);
    expect((await other.post("/tryon", TRYON_BODY)).body.credits_left).toBe(985);
    expect((await api.post("/tryon", TRYON_BODY)).status).toBe(402);
  });

  it("lets exactly three of 50 concurrent submits through when the balance covers three", async () => {
    // Rate limits off: the 10-a-minute try-on limit would otherwise answer most of these with 429.
    ({ server, api } = await startMock({ rateLimits: false }));
    server.setAccount(api.key, 50);
    const replies = await Promise.all(Array.from({ length: 50 }, () => api.post("/tryon", TRYON_BODY)));
    const accepted = replies.filter((r) => r.status === 202);
    const refused = replies.filter((r) => r.status === 402);
    expect(accepted).toHaveLength(3);
    expect(refused).toHaveLength(47);
    for (const r of refused) expect(r.body).toEqual({ code: "INSUFFICIENT_CREDITS", error: "Insufficient credits. Required: 15, available: 5." });
    // Each accepted submit saw the balance after its own deduction, never below zero.
    expect(accepted.map((r) => r.body.credits_left).sort((a, b) => b - a)).toEqual([35, 20, 5]);
    expect(new Set(accepted.map((r) => r.body.job_id)).size).toBe(3);
    expect(await balanceOf(api.key)).toBe(5);
    expect(server.jobs(api.key)).toHaveLength(3);
  });
});
