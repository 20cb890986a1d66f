import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMock, TRYON_BODY, type TestClient } from "./helpers/client.js";
import type { MockServer } from "../src/server.js";

const SUBMITS = [
  ["/tryon", { ...TRYON_BODY }],
  ["/vision", { image_url: "https://example.com/photo.jpg" }],
  ["/generate", { prompt: "a linen shirt" }],
] as const;

const ACCEPTED = [
  "https://hooks.example.com/artemotion",
  "http://localhost/webhook",
  "http://127.0.0.1:8080/webhook",
  "http://127.5.6.7:9000/hook",
  "http://[::1]:8080/webhook",
];

const REJECTED = [
  "http://example.com/webhook",
  "http://10.0.0.5/webhook",
  "http://localhost.example.com/webhook",
  "http://[::2]:8080/webhook",
  "ftp://localhost/webhook",
];

describe.each(SUBMITS)("webhook_url on POST %s", (path, body) => {
  let server: MockServer;
  let api: TestClient;
  beforeAll(async () => {
    ({ server, api } = await startMock({ rateLimits: false }));
    server.freeze(); // no job ever finishes, so nothing is sent to these made-up hosts
  });
  afterAll(() => server.close());

  it.each(ACCEPTED)("accepts %s and records it on the job", async (url) => {
    const res = await api.post(path, { ...body, webhook_url: url, webhook_secret: "whsec_x" });
    expect(res.status).toBe(202);
    expect(server.jobs().find((j) => j.job_id === res.body.job_id)?.webhook_url).toBe(url);
  });

  it.each(REJECTED)("rejects %s with 400 INVALID_REQUEST and charges nothing", async (url) => {
    const before = (await api.post(path, body)).body.credits_left as number;
    const res = await api.post(path, { ...body, webhook_url: url });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("INVALID_REQUEST");
    expect(res.body.error).toMatch(/webhook_url/);
    expect(server.getAccount(api.key).credits).toBe(before);
  });

  it("rejects an empty webhook_secret and a webhook_url that is not a URL with 400 INVALID_REQUEST", async () => {
    for (const extra of [{ webhook_url: "https://ok.example.com/h", webhook_secret: "" }, { webhook_url: "not a url" }]) {
      const res = await api.post(path, { ...body, ...extra });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body.code).toBe("INVALID_REQUEST");
    }
  });
});
