import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MockServer } from "../src/server.js";
import { CASES, KEY } from "./helpers/bad-request-table.js";
import { startMock, type TestClient } from "./helpers/client.js";

describe("documented bad requests", () => {
  let server: MockServer;
  let api: TestClient;
  beforeAll(async () => ({ server, api } = await startMock({ seed: 3 }, KEY)));
  afterAll(() => server.close());

  it.each(CASES.map((c) => [c.name, c] as const))("answers %s with the documented status, code and message", async (_name, c) => {
    const url = c.path.startsWith("//") ? server.origin + c.path.slice(1) : c.path;
    const { method, path: _p, status: _s, code: _c, error: _e, allow: _a, name: _n, ...opts } = c;
    const res = await api.request(method, url, opts);
    expect({ status: res.status, body: res.body }).toEqual({ status: c.status, body: { error: c.error, code: c.code } });
    if (c.allow) expect(res.headers.allow).toBe(c.allow);
  });

  it.each(["ae_test_abcd1234", "ae_live_ABCD_123", "ae_test_x".padEnd(40, "0")])("accepts the well-formed key %s", async (key) => {
    const res = await api.get("/jobs/a1b2c3d4?model_id=moondream2", { key });
    expect(res.body.code).toBe("NOT_FOUND");
  });

  it("charges nothing and creates no job for any of them", async () => {
    await Promise.all(CASES.map(async ({ name: _n, method, path, status: _s, code: _c, error: _e, allow: _a, ...opts }) => {
      if (!path.startsWith("//")) await api.request(method, path, opts);
    }));
    expect(server.getAccount(KEY)).toMatchObject({ credits: 1000, jobs: 0 });
    expect(server.jobs()).toEqual([]);
  });
});
