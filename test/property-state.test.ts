import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RATE_LIMITS, RATE_WINDOW_MS, type RateBucket } from "../src/domain/rate-limits.js";
import type { MockServer } from "../src/server.js";
import { startMock, TRYON_BODY, type TestClient } from "./helpers/client.js";
import { expectStillServing, KEYS, snapshot, type StateSnapshot } from "./property-support.js";

// Random interleavings of accepted and rejected requests, checked against a model
// of balances, jobs and rate-limit windows after every step: only an accepted
// request changes anything, and 402/429 fall exactly where the model says.
const LIMIT = 4096;
type Route = "/tryon" | "/vision" | "/generate";
const VALID: Record<Route, { body: Record<string, string>; cost: number }[]> = {
  "/tryon": [{ body: TRYON_BODY, cost: 15 }, { body: { ...TRYON_BODY, model_id: "flux-2-lora-gallery/virtual-tryon" }, cost: 20 }],
  "/vision": [{ body: { image_url: "https://example.com/p.jpg" }, cost: 2 }, { body: { model_id: "llava-next", image_url: "https://example.com/p.jpg", prompt: "Why?" }, cost: 4 }, { body: { model_id: "nvidia/nemotron-3-nano-omni", image_url: "https://example.com/p.jpg", prompt: "Why?" }, cost: 5 }],
  "/generate": [{ body: { prompt: "a red coat" }, cost: 10 }],
};
const BUCKET: Record<Route, RateBucket> = { "/tryon": "tryon", "/vision": "vision", "/generate": "generate" };

/** Ways to break a valid submit, each with the answer it must get. */
const MUTATIONS: Record<string, { status: number; code: string; apply: (route: Route, body: Record<string, unknown>) => { body?: Record<string, unknown>; raw?: string; type?: string; key?: string } }> = {
  missingField: { status: 400, code: "INVALID_REQUEST", apply: (route, b) => ({ body: Object.fromEntries(Object.entries(b).filter(([k]) => k !== { "/tryon": "person_image_url", "/vision": "image_url", "/generate": "prompt" }[route])) }) },
  wrongType: { status: 400, code: "INVALID_REQUEST", apply: (_r, b) => ({ body: { ...b, webhook_secret: 42 } }) },
  unknownModel: { status: 400, code: "INVALID_MODEL", apply: (_r, b) => ({ body: { ...b, model_id: "no-such-model" } }) },
  plainHttpWebhook: { status: 400, code: "INVALID_REQUEST", apply: (_r, b) => ({ body: { ...b, webhook_url: "http://example.com/hook" } }) },
  notJson: { status: 400, code: "INVALID_REQUEST", apply: (_r, b) => ({ raw: JSON.stringify(b).slice(0, -1) }) },
  wrongContentType: { status: 400, code: "INVALID_REQUEST", apply: (_r, b) => ({ raw: JSON.stringify(b), type: "text/plain" }) },
  badKey: { status: 401, code: "UNAUTHORIZED", apply: (_r, b) => ({ body: b, key: "ae_test_bad" }) },
  tooLarge: { status: 413, code: "PAYLOAD_TOO_LARGE", apply: (_r, b) => ({ body: { ...b, pad: "x".repeat(LIMIT) } }) },
};

interface Model {
  now: number;
  balances: Record<string, number>;
  jobs: { id: string; model: string; key: string }[];
  hits: Record<string, number[]>;
}
interface Real {
  server: MockServer;
  api: TestClient;
}

const live = (m: Model, key: string, bucket: RateBucket) => (m.hits[`${key} ${bucket}`] ?? []).filter((t) => t > m.now - RATE_WINDOW_MS);
const expected = (m: Model): StateSnapshot => ({
  jobs: m.jobs.length,
  balances: { ...m.balances },
  used: Object.fromEntries(KEYS.flatMap((k) => (Object.keys(RATE_LIMITS) as RateBucket[]).map((b) => [`${k} ${b}`, live(m, k, b).length]))),
});
const hit = (m: Model, key: string, bucket: RateBucket) => (m.hits[`${key} ${bucket}`] = [...live(m, key, bucket), m.now]);

class Submit implements fc.AsyncCommand<Model, Real> {
  constructor(readonly route: Route, readonly variant: number, readonly keyIndex: number, readonly mutation: string | null) {}
  check = () => true;
  async run(m: Model, { server, api }: Real) {
    const key = KEYS[this.keyIndex]!;
    const valid = VALID[this.route][this.variant % VALID[this.route].length]!;
    let want: [number, string | null];
    let r;
    if (this.mutation) {
      const mut = MUTATIONS[this.mutation]!;
      const req = mut.apply(this.route, valid.body);
      const headers = { "Content-Type": req.type ?? "application/json" };
      r = req.raw !== undefined ? await api.request("POST", this.route, { raw: req.raw, headers, key }) : await api.post(this.route, req.body, { key: req.key ?? key });
      want = [mut.status, mut.code];
    } else {
      r = await api.post(this.route, valid.body, { key });
      const bucket = BUCKET[this.route];
      if (live(m, key, bucket).length >= RATE_LIMITS[bucket]) want = [429, "RATE_LIMIT_EXCEEDED"];
      else if (m.balances[key]! < valid.cost) want = [402, "INSUFFICIENT_CREDITS"];
      else {
        want = [202, null];
        m.balances[key]! -= valid.cost;
        m.jobs.push({ id: r.body.job_id, model: r.body.model_id, key });
        hit(m, key, bucket);
      }
    }
    expect([r.status, r.body.code ?? null]).toEqual(want);
    expect(snapshot(server)).toEqual(expected(m));
  }
  toString = () => `submit ${this.route}#${this.variant} key${this.keyIndex} ${this.mutation ?? "valid"}`;
}

/** The same valid submit several times in a row: enough to reach the per-minute limits. */
class Burst implements fc.AsyncCommand<Model, Real> {
  constructor(readonly submit: Submit, readonly count: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    for (let i = 0; i < this.count; i++) await this.submit.run(m, r);
  }
  toString = () => `${this.count} x ${this.submit}`;
}

class Poll implements fc.AsyncCommand<Model, Real> {
  constructor(readonly jobIndex: number, readonly how: "own" | "otherKey" | "unknownModel" | "unknownId") {}
  check = () => true;
  async run(m: Model, { server, api }: Real) {
    const job = m.jobs[this.jobIndex % Math.max(1, m.jobs.length)] ?? { id: "no-such-job", model: "moondream2", key: KEYS[0] };
    const key = this.how === "otherKey" ? KEYS.find((k) => k !== job.key)! : job.key;
    const id = this.how === "unknownId" ? `${job.id}x` : job.id;
    const model = this.how === "unknownModel" ? "no-such-model" : job.model;
    const r = await api.get(`/jobs/${encodeURIComponent(id)}?model_id=${encodeURIComponent(model)}`, { key });
    let want: number;
    if (this.how === "unknownModel") want = 400;
    else if (this.how !== "own" || !m.jobs.includes(job)) want = 404;
    else if (live(m, key, "poll").length >= RATE_LIMITS.poll) want = 429;
    else {
      want = 200;
      hit(m, key, "poll");
    }
    expect(r.status).toBe(want);
    expect(snapshot(server)).toEqual(expected(m));
  }
  toString = () => `poll #${this.jobIndex} ${this.how}`;
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(m: Model, { server }: Real) {
    server.advance(this.ms);
    m.now += this.ms;
    expect(snapshot(server)).toEqual(expected(m));
  }
  toString = () => `advance ${this.ms}`;
}

let server: MockServer;
let api: TestClient;
beforeAll(async () => ({ server, api } = await startMock({ bodyLimitBytes: LIMIT, seed: 3 })));
afterAll(() => server.close());

describe("state under random interleavings of accepted and rejected requests", () => {
  it("changes balances, jobs and rate-limit windows only for accepted requests, exactly as a model predicts", async () => {
    const route = fc.constantFrom<Route>("/tryon", "/vision", "/generate");
    const keyIndex = fc.integer({ min: 0, max: KEYS.length - 1 });
    const commands = [
      fc.tuple(route, fc.nat(2), keyIndex).map(([r, v, k]) => new Submit(r, v, k, null)),
      fc.tuple(route, fc.nat(2), keyIndex, fc.constantFrom(...Object.keys(MUTATIONS))).map(([r, v, k, mut]) => new Submit(r, v, k, mut)),
      fc.tuple(fc.nat(), fc.constantFrom("own", "own", "otherKey", "unknownModel", "unknownId") as fc.Arbitrary<Poll["how"]>).map(([j, h]) => new Poll(j, h)),
      fc.tuple(route, fc.nat(2), keyIndex, fc.integer({ min: 2, max: 24 })).map(([r, v, k, n]) => new Burst(new Submit(r, v, k, null), n)),
      fc.integer({ min: 1_000, max: 70_000 }).map((ms) => new Advance(ms)),
    ];
    const balances = fc.tuple(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 600 }));
    await fc.assert(
      fc.asyncProperty(balances, fc.commands(commands, { maxCommands: 20 }), async ([b0, b1], cmds) => {
        server.reset();
        server.freeze();
        server.setAccount(KEYS[0], b0);
        server.setAccount(KEYS[1], b1);
        const model: Model = { now: server.clock().now_ms, balances: { [KEYS[0]]: b0, [KEYS[1]]: b1 }, jobs: [], hits: {} };
        await fc.asyncModelRun(() => ({ model, real: { server, api } }), cmds);
      }),
      { numRuns: 200 },
    );
    await expectStillServing(api);
  });
});
