import { describe, expect } from "vitest";
import { RATE_WINDOW_MS } from "../src/domain/rate-limits.js";
import { mockControl } from "./support/client.js";
import { pollToTerminal, submit } from "./support/jobs.js";
import { mockOnly } from "./support/tests.js";

const IMAGE = "https://example.com/photo.jpg";
const BODIES = {
  "/tryon": { op: "submitTryon", body: { person_image_url: IMAGE, garment_image_url: IMAGE } },
  "/vision": { op: "submitVision", body: { image_url: IMAGE } },
  "/generate": { op: "submitGenerate", body: { prompt: "A hat" } },
} as const;
const PATHS = Object.keys(BODIES) as (keyof typeof BODIES)[];

describe("lifecycle on the mock's clock", () => {
  mockOnly("a job on a frozen clock is queued with a queue_position, then moves forward as time advances", ["submitTryon 202", "getJob 200"], async ({ api }) => {
    await mockControl(api.cfg, "POST", "/clock/freeze");
    try {
      const res = await submit(api, "/tryon", BODIES["/tryon"].body);
      const first = await api.call("GET", res.body.poll_url);
      expect(first.body.status).toBe("queued");
      expect(first.body).toHaveProperty("queue_position");
      const { final, seen } = await pollToTerminal(api, res.body.poll_url);
      expect(seen[0]).toBe("queued");
      expect(final.body.status).toBe("completed");
    } finally {
      await mockControl(api.cfg, "POST", "/clock/resume");
    }
  });

  mockOnly("another key's job answers 404, exactly like an unknown job", ["getJob 404"], async ({ api, freshClient }) => {
    const res = await submit(api, "/vision", BODIES["/vision"].body);
    expect(res.status).toBe(202);
    const stranger = await freshClient().call("GET", res.body.poll_url);
    const unknown = await freshClient().call("GET", res.body.poll_url.replace(res.body.job_id, "00000000-0000-4000-8000-000000000000"));
    expect([stranger.status, stranger.body.code]).toEqual([404, "NOT_FOUND"]);
    expect(stranger.body.error.replace(res.body.job_id, "<id>")).toBe(unknown.body.error.replace("00000000-0000-4000-8000-000000000000", "<id>"));
  });

  mockOnly("a finished job expires 24 h later: its poll answers 404", ["getJob 404"], async ({ api }) => {
    const res = await submit(api, "/vision", BODIES["/vision"].body);
    await pollToTerminal(api, res.body.poll_url);
    await mockControl(api.cfg, "POST", "/clock/advance", { ms: 24 * 3600 * 1000 + 10_000 });
    expect((await api.call("GET", res.body.poll_url)).status).toBe(404);
  });
});

describe("failures the docs name", () => {
  for (const path of PATHS) {
    const { op, body } = BODIES[path];
    mockOnly(`${path} answers 402 INSUFFICIENT_CREDITS and charges nothing when the balance is too low`, [`${op} 402`], async ({ api }) => {
      await mockControl(api.cfg, "PUT", `/accounts/${api.key}`, { credits: 1 });
      const res = await api.post(path, body);
      expect([res.status, res.body.code]).toEqual([402, "INSUFFICIENT_CREDITS"]);
      expect(res.body.error).toMatch(/^Insufficient credits\. Required: \d+, available: 1\.$/);
      expect((await mockControl(api.cfg, "GET", `/accounts/${api.key}`)).credits).toBe(1);
    });

    mockOnly(`${path} answers 502 SUBMISSION_ERROR and refunds the credits`, [`${op} 502`], async ({ api }) => {
      await mockControl(api.cfg, "PUT", `/accounts/${api.key}`, { credits: 100 });
      const res = await api.post(path, body, { headers: { "X-Mock-Scenario": "submission_error" } });
      expect([res.status, res.body.code]).toEqual([502, "SUBMISSION_ERROR"]);
      expect((await mockControl(api.cfg, "GET", `/accounts/${api.key}`)).credits).toBe(100);
    });

    mockOnly(`${path} answers 413 for a body too large for any image`, [`${op} 413`], async ({ api }) => {
      const res = await api.call("POST", path, { raw: JSON.stringify({ ...body, padding: "x".repeat(33 * 1024 * 1024) }), headers: { "Content-Type": "application/json" } });
      expect([res.status, res.body.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
    });
  }

  mockOnly("a job whose backend is unreachable answers 502 STATUS_ERROR on polls, then recovers", ["getJob 502"], async ({ api }) => {
    const res = await submit(api, "/vision", BODIES["/vision"].body, { "X-Mock-Scenario": "status_error" });
    expect((await api.call("GET", res.body.poll_url)).body.code).toBe("STATUS_ERROR");
    await api.call("GET", res.body.poll_url);
    await api.call("GET", res.body.poll_url);
    const { final } = await pollToTerminal(api, res.body.poll_url);
    expect(final.status).toBe(200);
  });

  mockOnly("a failed job carries logs and error", ["getJob 200"], async ({ api }) => {
    const res = await submit(api, "/tryon", BODIES["/tryon"].body, { "X-Mock-Scenario": "job_failed" });
    const { final } = await pollToTerminal(api, res.body.poll_url);
    expect(final.body.status).toBe("failed");
    expect(final.body.logs.length).toBeGreaterThan(0);
    expect(typeof final.body.error).toBe("string");
  });
});

describe("rate limits (the one place a 429 is the expected answer)", () => {
  const LIMITS = { "/tryon": 10, "/vision": 20, "/generate": 10 } as const;
  for (const path of PATHS) {
    const { op, body } = BODIES[path];
    mockOnly(`${path} answers 429 with Retry-After past ${LIMITS[path]} a minute, charges nothing, and accepts again after the window`, [`${op} 429`], async ({ api }) => {
      api.expect429 = true;
      for (let i = 0; i < LIMITS[path]; i++) expect((await submit(api, path, body)).status).toBe(202);
      const before = (await mockControl(api.cfg, "GET", `/accounts/${api.key}`)).credits;
      const limited = await api.post(path, body);
      expect([limited.status, limited.body.code]).toEqual([429, "RATE_LIMIT_EXCEEDED"]);
      expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
      expect(Number(limited.headers["retry-after"]), "Retry-After stays within the one-minute window").toBeLessThanOrEqual(RATE_WINDOW_MS / 1000);
      expect((await mockControl(api.cfg, "GET", `/accounts/${api.key}`)).credits).toBe(before);
      await mockControl(api.cfg, "POST", "/clock/advance", { ms: Number(limited.headers["retry-after"]) * 1000 });
      expect((await submit(api, path, body)).status).toBe(202);
    });
  }

  mockOnly("the 121st poll within a minute answers 429 with Retry-After", ["getJob 429"], async ({ api }) => {
    const res = await submit(api, "/vision", BODIES["/vision"].body);
    api.expect429 = true;
    await mockControl(api.cfg, "POST", "/clock/freeze");
    try {
      for (let i = 0; i < 120; i++) expect((await api.call("GET", res.body.poll_url)).status).toBe(200);
      const limited = await api.call("GET", res.body.poll_url);
      expect(limited.status).toBe(429);
      expect(limited.headers["retry-after"]).toBeDefined();
      expect(Number(limited.headers["retry-after"]), "Retry-After stays within the one-minute window").toBeLessThanOrEqual(RATE_WINDOW_MS / 1000);
    } finally {
      await mockControl(api.cfg, "POST", "/clock/resume");
    }
  });
});
