import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMock, TRYON_BODY, type TestClient } from "./helpers/client.js";
import type { MockServer } from "../src/server.js";

describe("a try-on job on a frozen clock", () => {
  let server: MockServer;
  let api: TestClient;
  beforeAll(async () => ({ server, api } = await startMock({ seed: 1 })));
  afterAll(() => server.close());

  it("moves queued → processing → completed as the clock advances, then expires", async () => {
    server.freeze();
    const submit = await api.post("/tryon", TRYON_BODY);
    expect(submit.status).toBe(202);
    expect((await api.poll(submit.body.poll_url)).body.status).toBe("queued");
    server.advance(9_000);
    expect((await api.poll(submit.body.poll_url)).body.status).toBe("processing");
    server.advance(21_000);
    const done = await api.poll(submit.body.poll_url);
    expect(done.body.status).toBe("completed");
    expect(done.body.elapsed_ms).toBeGreaterThanOrEqual(10_000);
    expect(done.body.elapsed_ms).toBeLessThanOrEqual(30_000);
    const png = await fetch(done.body.images[0]);
    expect(png.headers.get("content-type")).toBe("image/png");
    server.advance(24 * 3600 * 1000);
    expect((await api.poll(submit.body.poll_url)).status).toBe(404);
    expect((await fetch(done.body.images[0])).status).toBe(404);
  });
});
