import { describe, expect, it } from "vitest";
import { DOCUMENTED_MS } from "../src/drift/timing.js";
import { createMockServer } from "../src/server.js";

const BODIES = {
  tryon: ["/tryon", { person_image_url: "https://example.com/p.jpg", garment_image_url: "https://example.com/g.jpg" }],
  vision: ["/vision", { image_url: "https://example.com/p.jpg" }],
  generate: ["/generate", { prompt: "a hat" }],
} as const;

describe("the documented durations drift judges time to terminal by", () => {
  it("hold every job of the realistic mock (so a clean live-style replay is not flagged for timing)", async () => {
    const mock = await createMockServer({ timing: "realistic", seed: 7 });
    try {
      for (const [kind, [path, body]] of Object.entries(BODIES)) {
        for (let i = 0; i < 8; i++) {
          const res = await fetch(mock.baseUrl + path, { method: "POST", headers: { Authorization: `Bearer ae_test_timing_${kind}_01`, "Content-Type": "application/json" }, body: JSON.stringify(body) });
          expect(res.status).toBe(202);
        }
      }
      const { jobs } = (await (await fetch(`${mock.origin}/__mock/jobs`)).json()) as { jobs: { kind: keyof typeof DOCUMENTED_MS; created_at: string; finished_at: string }[] };
      expect(jobs).toHaveLength(24);
      for (const j of jobs) {
        const ms = Date.parse(j.finished_at) - Date.parse(j.created_at);
        const [min, max] = DOCUMENTED_MS[j.kind];
        expect(ms, `${j.kind} job took ${ms} ms`).toBeGreaterThanOrEqual(min);
        expect(ms).toBeLessThanOrEqual(max);
      }
    } finally {
      await mock.close();
    }
  });
});
