import { describe, expect, it } from "vitest";
import { compareJobs } from "../src/drift/behaviour.js";
import { compareBodies, compareExchange, urlShape } from "../src/drift/compare.js";
import type { LoadedExchange } from "../src/drift/load.js";
import type { Pair, Replayed } from "../src/drift/replay.js";
import { fails } from "../src/drift/types.js";

function ex(operationId: string, method: string, path: string, status: number, body: unknown, headers: Record<string, string> = {}, request?: unknown): LoadedExchange {
  return {
    test: "t", kind: "api", operationId, time: "", startedMs: 0, durationMs: 1,
    request: { method, url: `http://h${path}`, path, query: {}, headers: {}, ...(request === undefined ? {} : { body: request }) },
    response: { status, headers: { "content-type": "application/json; charset=utf-8", ...headers }, body },
  };
}
const rep = (status: number, body: unknown, headers: Record<string, string> = {}): Replayed => ({ status, headers: { "content-type": "application/json; charset=utf-8", ...headers }, body });
const brief = (ds: { grade: string; kind: string; path: string }[]) => ds.map((d) => `${d.grade} ${d.kind} ${d.path}`);

describe("drift: one exchange", () => {
  it("reports a status difference alone, with the error codes", () => {
    const { diffs } = compareExchange(ex("submitVision", "POST", "/api/v1/vision", 402, { error: "x", code: "INSUFFICIENT_CREDITS" }), rep(202, { job_id: "j" }));
    expect(diffs.map((d) => [d.grade, d.path, d.recorded, d.mock])).toEqual([["breaking", "status", "402 INSUFFICIENT_CREDITS", "202"]]);
  });

  it("grades a missing Retry-After breaking, an extra one additive, and a different one behavioural only beyond a second", () => {
    const x = (h: Record<string, string>) => ex("submitVision", "POST", "/api/v1/vision", 429, { error: "x", code: "RATE_LIMIT_EXCEEDED" }, h);
    const body = { error: "y", code: "RATE_LIMIT_EXCEEDED" };
    expect(brief(compareExchange(x({}), rep(429, body, { "retry-after": "60" })).diffs)).toEqual(["breaking header-missing headers.retry-after"]);
    expect(brief(compareExchange(x({ "retry-after": "60" }), rep(429, body)).diffs)).toEqual(["additive header-extra headers.retry-after"]);
    expect(compareExchange(x({ "retry-after": "59" }), rep(429, body, { "retry-after": "60" })).diffs).toEqual([]);
    expect(brief(compareExchange(x({ "retry-after": "30" }), rep(429, body, { "retry-after": "60" })).diffs)).toEqual(["behavioural header-value headers.retry-after"]);
  });

  it("leaves a poll that caught the job in another state to the per-job comparison", () => {
    const r = compareExchange(ex("getJob", "GET", "/api/v1/jobs/a", 200, { job_id: "a", status: "queued", queue_position: 1 }), rep(200, { job_id: "b", status: "processing" }));
    expect(r).toEqual({ diffs: [], timingSkipped: true });
  });
});

describe("drift: bodies", () => {
  it("reports a missing object once, not once per field inside it, and a changed type without its children", () => {
    const out = compareBodies("getJob", 200, { job_id: "a", status: "completed", elapsed_ms: 1 }, { job_id: "b", status: "completed", elapsed_ms: 2, result: { text: "t", objects: null } });
    expect(brief(out)).toEqual(["breaking field-missing $.result"]);
    expect(brief(compareBodies("getJob", 200, { result: null }, { result: { text: "t" } }))).toEqual(["breaking type $.result"]);
  });

  it("treats what lies under an always-empty array as unknown, not absent", () => {
    expect(compareBodies("getJob", 200, { result: { objects: [] } }, { result: { objects: [{ label: "car", bbox: [1, 2, 3, 4] }] } })).toEqual([]);
  });

  it("grades enum values: a scalar that differs breaks, a catalog entry only live has is additive, one live lacks breaks", () => {
    expect(brief(compareBodies("submitVision", 400, { error: "e", code: "INVALID_MODEL" }, { error: "e", code: "INVALID_REQUEST" }))).toEqual(["breaking enum $.code"]);
    const cat = (ids: string[]) => ({ models: ids.map((id) => ({ id, credits: 15 })) });
    expect(brief(compareBodies("listModels", 200, cat(["image-apps-v2/virtual-try-on"]), cat(["image-apps-v2/virtual-try-on", "flux-2-lora-gallery/virtual-tryon"])))).toEqual(["breaking enum-missing $.models[*].id"]);
    expect(brief(compareBodies("listModels", 200, cat(["x-new-model"]), cat(["image-apps-v2/virtual-try-on"])))).toEqual(["breaking enum-unknown $.models[*].id"]);
  });

  it("compares prices exactly, model by model, and the poll_url's shape with ids and host abstracted", () => {
    const [a, b] = ["5f0c3e1a-aaaa", "77d1c0de-bbbb"];
    const out = compareBodies("submitVision", 202, { job_id: a, credits_used: 3, poll_url: `https://live/api/v1/jobs/${a}` }, { job_id: b, credits_used: 2, poll_url: `http://127.0.0.1:9/api/v1/jobs/${b}?model_id=moondream2` }, [a, b]);
    expect(brief(out)).toEqual(["behavioural value $.credits_used", "breaking url-shape $.poll_url"]);
    expect(urlShape(`http://127.0.0.1:9/api/v1/jobs/${b}?model_id=moondream2`, [a, b])).toBe("{origin}/api/v1/jobs/{id}?model_id=moondream2");
    expect(urlShape(`https://api.live/api/v1/jobs/${a}?<redacted:signed-query>`, [a, b])).toBe("{origin}/api/v1/jobs/{id}?{signed-query}");
    const prices = compareBodies("listVisionModels", 200, { models: [{ id: "moondream2", credits: 3, tasks: [] }] }, { models: [{ id: "moondream2", credits: 2, tasks: [] }] });
    expect(prices.map((d) => [d.path, d.recorded, d.mock])).toEqual([["$.models[id=moondream2].credits", 3, 2]]);
  });
});

describe("drift: jobs", () => {
  const submit = ex("submitTryon", "POST", "/api/v1/tryon", 202, { job_id: "a", model_id: "image-apps-v2/virtual-try-on", status: "queued" });
  const poll = (status: string, extra: object = {}) => ex("getJob", "GET", "/api/v1/jobs/a", 200, { job_id: "a", status, ...extra });
  const pairs = (steps: [string, string, number, object?, object?][]): Pair[] => [
    { rec: submit, rep: rep(202, { job_id: "b", status: "queued" }), offsetMs: 0 },
    ...steps.map(([r, m, offsetMs, re, me]) => ({ rec: poll(r, re), rep: rep(200, { job_id: "b", status: m, ...me }), offsetMs })),
  ];

  it("does not count when a state was seen, only a different outcome or a step backwards", () => {
    expect(compareJobs(pairs([["queued", "processing", 5], ["completed", "completed", 20_000]]))).toEqual([]);
    expect(compareJobs(pairs([["queued", "queued", 5], ["failed", "completed", 20_000]])).map((d) => [d.kind, d.recorded, d.mock])).toEqual([["sequence", "queued → failed", "queued → completed"]]);
    expect(compareJobs(pairs([["processing", "processing", 5], ["queued", "completed", 20_000]])).map((d) => d.kind)).toEqual(["sequence"]);
  });

  it("judges time to terminal against the documented range, not against the mock's exact duration", () => {
    expect(compareJobs(pairs([["completed", "completed", 20_000, { elapsed_ms: 12_000 }, { elapsed_ms: 28_000 }]]))).toEqual([]);
    const slow = compareJobs(pairs([["completed", "completed", 20_000, { elapsed_ms: 45_000 }, { elapsed_ms: 18_000 }]]));
    expect(slow.map((d) => [d.grade, d.path, d.recorded, d.mock])).toEqual([["behavioural", "time_to_terminal", "45000 ms (above the documented 10–30 s)", "18000 ms (within the documented 10–30 s)"]]);
    const stuck = compareJobs(pairs([["processing", "completed", 61_000, {}, { elapsed_ms: 20_000 }]]));
    expect(stuck.map((d) => d.recorded)).toEqual(["> 61000 ms, not terminal when last polled (above the documented 10–30 s)"]);
    expect(compareJobs(pairs([["processing", "processing", 3_000], ["failed", "failed", 40_000, {}, {}]]))).toEqual([]);
  });
});

describe("drift: grades", () => {
  it("fails on breaking by default, and on more with --fail-on", () => {
    expect([fails("breaking", "breaking"), fails("behavioural", "breaking"), fails("behavioural", "behavioural"), fails("additive", "behavioural"), fails("additive", "additive")]).toEqual([true, false, true, false, true]);
  });
});
