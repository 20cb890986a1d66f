import { afterEach, describe, expect, it } from "vitest";
import { startMock, TRYON_BODY, type TestClient } from "./helpers/client.js";
import type { MockServer } from "../src/server.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const servers: MockServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fresh(seed: number | null) {
  const started = await startMock({ seed, timing: "realistic" });
  servers.push(started.server);
  return started;
}

const SUBMITS: [string, Record<string, unknown>, Record<string, string>?][] = [
  ["/tryon", TRYON_BODY],
  ["/tryon", { ...TRYON_BODY, garment_type: "glasses", model_id: "flux-2-lora-gallery/virtual-tryon" }],
  ["/vision", { model_id: "moondream3-preview/caption", image_url: "https://example.com/p.jpg", length: "long" }],
  ["/vision", { model_id: "llava-next", image_url: "https://example.com/p.jpg", prompt: "How many people are there?" }],
  ["/vision", { model_id: "florence-2-large/object-detection", image_url: "https://example.com/p.jpg" }],
  ["/vision", { model_id: "moondream3-preview/detect", image_url: "https://example.com/p.jpg", prompt: "person" }],
  ["/vision", { model_id: "imageutils/nsfw", image_url: "https://example.com/p.jpg" }],
  ["/generate", { prompt: "a yellow raincoat" }],
  ["/tryon", TRYON_BODY, { "X-Mock-Scenario": "job_failed" }],
];

/**
 * Runs the same request sequence against a server on a frozen clock: every
 * submit, then polls at fixed virtual times. Returns every body, with the
 * server's origin replaced, and the bytes behind every result URL.
 */
async function run(server: MockServer, api: TestClient) {
  server.freeze();
  const bodies: unknown[] = [];
  const submits = [];
  for (const [path, body, headers] of SUBMITS) {
    const r = await api.post(path, body, { headers });
    expect(r.status).toBe(202);
    submits.push(r.body);
    bodies.push(r.body);
  }
  const downloads: string[] = [];
  for (const step of [0, 500, 1_500, 4_000, 12_000, 20_000]) {
    server.advance(step);
    for (const s of submits) {
      const r = await api.poll(s.poll_url);
      bodies.push(r.body);
      if (r.body.images) downloads.push(...r.body.images);
      if (r.body.result?.annotated_image) downloads.push(r.body.result.annotated_image);
    }
  }
  const images = await Promise.all([...new Set(downloads)].map(async (url) => Buffer.from(await (await fetch(url)).arrayBuffer())));
  const text = JSON.stringify(bodies).replaceAll(server.origin, "<origin>");
  return { text, bodies: JSON.parse(text) as unknown[], images, ids: submits.map((s) => s.job_id as string) };
}

describe("seeded determinism", () => {
  it("gives identical submit and poll bodies and identical image bytes for the same seed and requests", async () => {
    const a = await fresh(42);
    const b = await fresh(42);
    const ra = await run(a.server, a.api);
    const rb = await run(b.server, b.api);
    expect(a.server.origin).not.toBe(b.server.origin);
    expect(rb.bodies).toEqual(ra.bodies);
    // The sequence covered every state, a failure and both kinds of result image.
    for (const status of ["queued", "processing", "completed", "failed"]) expect(ra.text).toContain(`"status":"${status}"`);
    expect(ra.text).toContain("annotated.png");
    expect(ra.images.length).toBeGreaterThanOrEqual(5);
    expect(rb.images.length).toBe(ra.images.length);
    ra.images.forEach((img, i) => {
      expect(img.subarray(1, 4).toString()).toBe("PNG");
      expect(img.equals(rb.images[i]!), `image ${i}`).toBe(true);
    });
  });

  it("gives different ids, durations and results for a different seed", async () => {
    const a = await fresh(1);
    const b = await fresh(2);
    const ra = await run(a.server, a.api);
    const rb = await run(b.server, b.api);
    expect(ra.ids.some((id) => rb.ids.includes(id))).toBe(false);
    expect(ra.text.replaceAll(/[0-9a-f-]{36}/g, "<id>")).not.toBe(rb.text.replaceAll(/[0-9a-f-]{36}/g, "<id>"));
  });

  it("uses random UUID v4 job ids without a seed, different on every server", async () => {
    const a = await fresh(null);
    const b = await fresh(null);
    const ids = [];
    for (const { api } of [a, b, a, b]) ids.push((await api.post("/tryon", TRYON_BODY)).body.job_id as string);
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(4);
  });

  it("gives seeded ids as valid UUID v4 too", async () => {
    const { api } = await fresh(7);
    expect((await api.post("/tryon", TRYON_BODY)).body.job_id).toMatch(UUID_V4);
  });
});
