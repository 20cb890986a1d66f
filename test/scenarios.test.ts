import { keyRef } from "../src/domain/keys.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCENARIO_NAMES, type ScenarioName } from "../src/domain/scenarios.js";
import type { MockServer } from "../src/server.js";
import { control, startMock, TRYON_BODY, TestClient, type Reply } from "./helpers/client.js";

let server: MockServer;
beforeAll(async () => {
  ({ server } = await startMock({ seed: 5, timing: "realistic" }));
  server.freeze();
});
afterAll(() => server.close());

let keySeq = 0;
const freshKey = () => `ae_test_scenario${String(++keySeq).padStart(4, "0")}`;
const balance = async (key: string) => (await control(server, "GET", `/accounts/${key}`)).body.credits;

/** nsfw only affects moderation models, so it is tried on a vision submit; everything else on a try-on. */
const submitOf = (name: ScenarioName | null) =>
  name === "nsfw"
    ? { path: "/vision", body: { model_id: "imageutils/nsfw", image_url: "https://example.com/photo.jpg" }, field: "image_url", cost: 2 }
    : { path: "/tryon", body: { ...TRYON_BODY }, field: "person_image_url", cost: 15 };

type Way = "header" | "magic host with _" | "magic host with -" | "arming";
const WAYS: Way[] = ["header", "magic host with _", "magic host with -", "arming"];

async function trigger(api: TestClient, name: ScenarioName, way: Way): Promise<Reply> {
  const s = submitOf(name);
  if (way === "header") return api.post(s.path, s.body, { headers: { "X-Mock-Scenario": name } });
  if (way === "arming") {
    const armed = await control(server, "POST", "/scenarios", { scenario: name, key: api.key, count: 1 });
    expect(armed.status).toBe(201);
    return api.post(s.path, s.body);
  }
  const host = way === "magic host with _" ? name : name.replace(/_/g, "-");
  return api.post(s.path, { ...s.body, [s.field]: `https://${host}.scenario.test/person.jpg` });
}

const expectError = (r: Reply, status: number, code: string, error: string) => expect([r.status, r.body]).toEqual([status, { code, error }]);

/** The documented outcome of each scenario, checked after it was triggered. */
const OUTCOMES: Record<ScenarioName, (api: TestClient, r: Reply) => Promise<void>> = {
  async job_failed(api, r) {
    expect(r.status).toBe(202);
    server.advance(40_000);
    const done = await api.poll(r.body.poll_url);
    expect(done.body.status).toBe("failed");
    expect(done.body.error).toEqual(expect.any(String));
    expect(done.body.logs.length).toBeGreaterThan(0);
  },
  async submission_error(api, r) {
    expectError(r, 502, "SUBMISSION_ERROR", "Failed to submit job: upstream timeout");
    expect(await balance(api.key)).toBe(1000);
    expect(server.jobs(api.key)).toEqual([]);
  },
  async status_error(api, r) {
    expect(r.status).toBe(202);
    for (let i = 0; i < 3; i++) expectError(await api.poll(r.body.poll_url), 502, "STATUS_ERROR", "Failed to get job status: upstream unreachable");
    const recovered = await api.poll(r.body.poll_url);
    expect([recovered.status, recovered.body.status]).toEqual([200, "queued"]);
  },
  async slow_queue(api, r) {
    expect(r.status).toBe(202);
    const positions: number[] = [];
    for (let minute = 0; minute < 3; minute++) {
      const p = await api.poll(r.body.poll_url);
      expect(p.body.status).toBe("queued");
      positions.push(p.body.queue_position);
      server.advance(59_000);
    }
    expect(positions).toEqual([30, 20, 10]);
    server.advance(3_000); // 180 s after submit
    expect((await api.poll(r.body.poll_url)).body.status).toBe("processing");
  },
  async stuck(api, r) {
    expect(r.status).toBe(202);
    const job = server.jobs(api.key)[0]!;
    const processingAt = Date.parse(job.processing_at);
    server.advance(processingAt - server.clock().now_ms + 599_999);
    expect((await api.poll(r.body.poll_url)).body.status).toBe("processing");
    server.advance(1);
    const failed = await api.poll(r.body.poll_url);
    expect(failed.body).toMatchObject({ status: "failed", error: "Job timed out after 600 s in processing" });
  },
  async rate_limited(api, r) {
    expectError(r, 429, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded. Max 10 requests per minute.");
    expect(r.headers["retry-after"]).toBe("60");
    expect(await balance(api.key)).toBe(1000);
  },
  async insufficient_credits(api, r) {
    expectError(r, 402, "INSUFFICIENT_CREDITS", "Insufficient credits. Required: 15, available: 0.");
    expect(await balance(api.key)).toBe(1000);
  },
  ...Object.fromEntries(
    (
      [
        ["image_fetch_403", "Image error: Failed to fetch image: HTTP 403"],
        ["image_fetch_404", "Image error: Failed to fetch image: HTTP 404"],
        ["image_too_large", "Image error: Image exceeds 10 MB"],
        ["private_url", "Image error: Private URLs not allowed"],
      ] as const
    ).map(([name, message]) => [
      name,
      async (api: TestClient, r: Reply) => {
        expectError(r, 400, "IMAGE_ERROR", message);
        expect(await balance(api.key)).toBe(1000);
        expect(server.jobs(api.key)).toEqual([]);
      },
    ]),
  ) as Record<"image_fetch_403" | "image_fetch_404" | "image_too_large" | "private_url", (api: TestClient, r: Reply) => Promise<void>>,
  async nsfw(api, r) {
    expect(r.status).toBe(202);
    server.advance(5_000);
    const done = await api.poll(r.body.poll_url);
    expect(done.body.result.is_nsfw).toBe(true);
    expect(done.body.result.nsfw_probability).toBeGreaterThanOrEqual(0.9);
  },
};

describe.each(SCENARIO_NAMES)("scenario %s", (name) => {
  it.each(WAYS)("has its documented outcome when triggered by %s", async (way) => {
    const api = new TestClient(server, freshKey());
    await OUTCOMES[name](api, await trigger(api, name, way));
    if (way === "arming") expect(server.listScenarios().filter((a) => a.key === api.key)).toEqual([]);
  });
});

describe("without a scenario", () => {
  it("the same submits complete normally, so the outcomes above are the scenarios' doing", async () => {
    for (const s of [submitOf(null), submitOf("nsfw")]) {
      const api = new TestClient(server, freshKey());
      const r = await api.post(s.path, s.body);
      expect(r.status).toBe(202);
      expect(await balance(api.key)).toBe(1000 - s.cost);
      expect((await api.poll(r.body.poll_url)).body.status).toBe("queued");
      server.advance(40_000);
      const done = await api.poll(r.body.poll_url);
      expect(done.body.status).toBe("completed");
      if (s.path === "/vision") expect([done.body.result.is_nsfw, done.body.result.nsfw_probability < 0.9]).toEqual([false, true]);
    }
  });

  it("x-ailab/nsfw reports is_nsfw true only under the nsfw scenario", async () => {
    const api = new TestClient(server, freshKey());
    const body = { model_id: "x-ailab/nsfw", image_url: "https://example.com/photo.jpg" };
    const flagged = await api.post("/vision", body, { headers: { "X-Mock-Scenario": "nsfw" } });
    const clean = await api.post("/vision", body);
    server.advance(5_000);
    expect((await api.poll(flagged.body.poll_url)).body.result.is_nsfw).toBe(true);
    expect((await api.poll(clean.body.poll_url)).body.result.is_nsfw).toBe(false);
  });
});

describe("on a poll", () => {
  it("the header's status_error and rate_limited apply to that poll only", async () => {
    const api = new TestClient(server, freshKey());
    const job = (await api.post("/tryon", TRYON_BODY)).body;
    expectError(await api.poll(job.poll_url, { headers: { "X-Mock-Scenario": "status-error" } }), 502, "STATUS_ERROR", "Failed to get job status: upstream unreachable");
    const limited = await api.poll(job.poll_url, { headers: { "X-Mock-Scenario": "rate_limited" } });
    expect([limited.status, limited.body.code, limited.headers["retry-after"]]).toEqual([429, "RATE_LIMIT_EXCEEDED", "60"]);
    expect((await api.poll(job.poll_url)).body.status).toBe("queued");
  });
});

describe("unknown scenario names", () => {
  it("are a 400 INVALID_REQUEST listing the known names, in the header or a magic host", async () => {
    const api = new TestClient(server, freshKey());
    const byHeader = await api.post("/tryon", TRYON_BODY, { headers: { "X-Mock-Scenario": "meltdown" } });
    const byHost = await api.post("/tryon", { ...TRYON_BODY, garment_image_url: "https://meltdown.scenario.test/g.jpg" });
    for (const r of [byHeader, byHost]) {
      expect([r.status, r.body.code]).toEqual([400, "INVALID_REQUEST"]);
      expect(r.body.error).toContain("meltdown");
      for (const known of SCENARIO_NAMES) expect(r.body.error).toContain(known);
    }
    expect(await balance(api.key)).toBe(1000);
    expect(() => server.armScenario("meltdown" as never)).toThrow(/Unknown scenario "meltdown"/);
    expect(() => server.armScenario("stuck", null, 0)).toThrow(/count/);
  });
});

describe("when several ways apply", () => {
  const arm = (scenario: string, key?: string, count?: number) => control(server, "POST", "/scenarios", { scenario, key, count });
  const magic = (name: string) => ({ ...TRYON_BODY, person_image_url: `https://${name}.scenario.test/p.jpg` });
  const header = (name: string) => ({ headers: { "X-Mock-Scenario": name } });
  const outcome = (r: Reply) => (r.status === 202 ? "accepted" : `${r.status} ${r.body.error as string}`);
  const [E403, E404] = ["400 Image error: Failed to fetch image: HTTP 403", "400 Image error: Failed to fetch image: HTTP 404"];
  const armedFor = (key: string) => server.listScenarios().filter((a) => a.key === key);

  it("the header beats a magic URL, which beats arming; neither uses the arming up", async () => {
    const api = new TestClient(server, freshKey());
    await arm("image_fetch_404", api.key);
    expect(outcome(await api.post("/tryon", magic("image-fetch-403"), header("image_too_large")))).toBe("400 Image error: Image exceeds 10 MB");
    expect(outcome(await api.post("/tryon", magic("image-fetch-403")))).toBe(E403);
    expect(outcome(await api.post("/tryon", TRYON_BODY, header("rate_limited")))).toBe("429 Rate limit exceeded. Max 10 requests per minute.");
    expect(outcome(await api.post("/tryon", TRYON_BODY))).toBe(E404);
    expect(outcome(await api.post("/tryon", TRYON_BODY))).toBe("accepted");
  });

  it("an arming with count N is used by exactly the next N submits that pass validation", async () => {
    const api = new TestClient(server, freshKey());
    expect((await arm("image_fetch_403", api.key, 2)).body).toMatchObject({ scenario: "image_fetch_403", remaining: 2 });
    expect((await api.post("/tryon", { ...TRYON_BODY, garment_type: "cape" })).body.code).toBe("INVALID_REQUEST");
    expect((await api.post("/vision", { model_id: "llava-next", image_url: "https://example.com/p.jpg" })).body.code).toBe("MISSING_FIELD");
    expect(outcome(await api.post("/tryon", TRYON_BODY))).toBe(E403);
    const listed = (await control(server, "GET", "/scenarios")).body.armed as { key_ref: string }[];
    expect(listed.filter((a) => a.key_ref === keyRef(api.key))).toMatchObject([{ scenario: "image_fetch_403", remaining: 1 }]);
    expect(outcome(await api.post("/tryon", TRYON_BODY))).toBe(E403);
    expect(outcome(await api.post("/tryon", TRYON_BODY))).toBe("accepted");
  });

  it("an arming without a key applies to every key, and a key's own arming wins over it", async () => {
    const [a, b, c] = [freshKey(), freshKey(), freshKey()].map((k) => new TestClient(server, k)) as [TestClient, TestClient, TestClient];
    await arm("image_fetch_403", undefined, 2);
    await arm("image_fetch_404", a.key, 1);
    expect(outcome(await a.post("/tryon", TRYON_BODY))).toBe(E404);
    expect(outcome(await a.post("/tryon", TRYON_BODY))).toBe(E403);
    expect(outcome(await b.post("/tryon", TRYON_BODY))).toBe(E403);
    expect(outcome(await c.post("/tryon", TRYON_BODY))).toBe("accepted");
  });

  it("an armed nsfw waits for a moderation submit instead of being spent on a try-on", async () => {
    const api = new TestClient(server, freshKey());
    await arm("nsfw", api.key);
    expect(outcome(await api.post("/tryon", TRYON_BODY))).toBe("accepted");
    expect(armedFor(api.key)).toMatchObject([{ scenario: "nsfw", remaining: 1 }]);
    const r = await api.post("/vision", { model_id: "imageutils/nsfw", image_url: "https://example.com/p.jpg" });
    server.advance(5_000);
    expect((await api.poll(r.body.poll_url)).body.result.is_nsfw).toBe(true);
    expect(armedFor(api.key)).toEqual([]);
  });
});
