import { afterEach, describe, expect, it } from "vitest";
import { startMock, TRYON_BODY, type TestClient } from "./helpers/client.js";
import type { MockServer } from "../src/server.js";
import type { MockOptions } from "../src/options.js";

const ORDER = ["queued", "processing", "completed", "failed"];
const VISION_BODY = { model_id: "moondream2", image_url: "https://example.com/p.jpg" };
const DAY_MS = 24 * 60 * 60 * 1000;

let server: MockServer;
let api: TestClient;
afterEach(() => server?.close());

async function start(options: Partial<MockOptions>) {
  ({ server, api } = await startMock(options));
  server.freeze();
}

/** The job's own timeline, from the control plane: when it went processing and when it finished. */
function timelineOf(jobId: string) {
  const j = server.jobs().find((x) => x.job_id === jobId)!;
  const created = Date.parse(j.created_at);
  return { processingAfter: Date.parse(j.processing_at) - created, finishedAfter: Date.parse(j.finished_at) - created };
}

interface Observation { t: number; status: string; queue_position?: number; elapsed_ms?: number }

/**
 * Polls every `queuedStepMs` of virtual time while the job is queued and every
 * `laterStepMs` after (staying under the 120 polls a minute), until it has
 * answered a terminal state three times.
 */
async function observe(pollUrl: string, queuedStepMs: number, laterStepMs: number, limitMs: number): Promise<Observation[]> {
  const seen: Observation[] = [];
  for (let t = 0, terminalPolls = 0; t <= limitMs && terminalPolls < 3; ) {
    const r = await api.poll(pollUrl);
    expect(r.status).toBe(200);
    seen.push({ t, ...r.body });
    if (r.body.status === "completed" || r.body.status === "failed") terminalPolls++;
    const step = r.body.status === "queued" ? queuedStepMs : laterStepMs;
    server.advance(step);
    t += step;
  }
  return seen;
}

const withoutTime = ({ t: _t, ...body }: Observation) => body;

describe("a realistic try-on job on a clock driven by the test", () => {
  it.each([1, 2, 3, 4, 5])("goes queued → processing → completed within 10–30 s, counting the queue down to 0 (seed %i)", async (seed) => {
    await start({ seed });
    const submit = await api.post("/tryon", TRYON_BODY);
    expect(submit.status).toBe(202);
    expect(submit.body.status).toBe("queued");
    // 200 ms steps: a position of 0 lasts at least queueMs / queueStart ≥ 333 ms, so it is always seen.
    const seen = await observe(submit.body.poll_url, 200, 1_000, 40_000);

    const statuses = seen.map((s) => s.status);
    expect(statuses[0]).toBe("queued");
    expect(new Set(statuses)).toEqual(new Set(["queued", "processing", "completed"]));
    // States only move forward.
    const ranks = statuses.map((s) => ORDER.indexOf(s));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    // queue_position counts down to 0, never up.
    const positions = seen.filter((s) => s.status === "queued").map((s) => s.queue_position!);
    expect(positions).toEqual([...positions].sort((a, b) => b - a));
    expect(positions[0]).toBeGreaterThan(0);
    expect(positions.at(-1)).toBe(0);
    // Completed at a time inside 10–30 s, and elapsed_ms is submit-to-completion.
    const firstDone = seen.findIndex((s) => s.status === "completed");
    const doneAt = seen[firstDone]!.t;
    expect(doneAt).toBeGreaterThanOrEqual(10_000);
    expect(doneAt).toBeLessThanOrEqual(30_000);
    const elapsed = seen[firstDone]!.elapsed_ms!;
    expect(elapsed).toBe(timelineOf(submit.body.job_id).finishedAfter);
    expect(elapsed).toBeGreaterThan(seen[firstDone - 1]!.t);
    expect(elapsed).toBeLessThanOrEqual(doneAt);
    // A terminal state never changes, and neither does its body.
    const terminal = seen.slice(firstDone);
    expect(terminal.length).toBe(3);
    for (const later of terminal) expect(withoutTime(later)).toEqual(withoutTime(terminal[0]!));
  });

  it("switches state exactly at the job's own processing and finish times", async () => {
    await start({ seed: 9 });
    const submit = await api.post("/tryon", TRYON_BODY);
    const { processingAfter, finishedAfter } = timelineOf(submit.body.job_id);
    server.advance(processingAfter - 1);
    expect((await api.poll(submit.body.poll_url)).body.status).toBe("queued");
    server.advance(1);
    expect((await api.poll(submit.body.poll_url)).body.status).toBe("processing");
    server.advance(finishedAfter - processingAfter - 1);
    expect((await api.poll(submit.body.poll_url)).body.status).toBe("processing");
    server.advance(1);
    const done = await api.poll(submit.body.poll_url);
    expect(done.body).toMatchObject({ status: "completed", elapsed_ms: finishedAfter });
  });

  it("forgets the job 24 h after completion: poll and image URL are 404 and the memory is released", async () => {
    await start({ seed: 1 });
    const submit = await api.post("/tryon", TRYON_BODY);
    const { finishedAfter } = timelineOf(submit.body.job_id);
    server.advance(finishedAfter);
    const done = await api.poll(submit.body.poll_url);
    const image: string = done.body.images[0];
    server.advance(DAY_MS - 1);
    expect((await api.poll(submit.body.poll_url)).status).toBe(200);
    expect((await fetch(image)).status).toBe(200);
    server.advance(1);
    expect(server.jobs()).toHaveLength(0);
    const gone = await api.poll(submit.body.poll_url);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe("NOT_FOUND");
    const cdn = await fetch(image);
    expect(cdn.status).toBe(404);
    expect(await cdn.json()).toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("timing modes", () => {
  it.each([1, 2, 3, 4, 5])("realistic vision jobs are queued at submit and complete in about 1–3 s (seed %i)", async (seed) => {
    await start({ seed });
    const submit = await api.post("/vision", VISION_BODY);
    expect((await api.poll(submit.body.poll_url)).body.status).toBe("queued");
    const seen = await observe(submit.body.poll_url, 100, 100, 5_000);
    const done = seen.find((s) => s.status === "completed")!;
    expect(seen.some((s) => s.status === "processing")).toBe(true);
    expect(done.elapsed_ms).toBeGreaterThanOrEqual(1_000);
    expect(done.elapsed_ms).toBeLessThanOrEqual(3_000);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])("fast timing finishes every kind of job in under 1 s of virtual time (seed %i)", async (seed) => {
    await start({ seed, timing: "fast" });
    const submits = [
      await api.post("/tryon", TRYON_BODY),
      await api.post("/vision", VISION_BODY),
      await api.post("/generate", { prompt: "a red dress" }),
    ];
    server.advance(999);
    for (const s of submits) {
      const r = await api.poll(s.body.poll_url);
      expect(r.body.status).toBe("completed");
      expect(r.body.elapsed_ms).toBeLessThan(1_000);
    }
  });

  it("instant timing is terminal at submit, with elapsed_ms 0", async () => {
    await start({ timing: "instant" });
    for (const [path, body] of [["/tryon", TRYON_BODY], ["/vision", VISION_BODY], ["/generate", { prompt: "a hat" }]] as const) {
      const submit = await api.post(path, body);
      expect(submit.body.status).toBe("queued");
      const r = await api.poll(submit.body.poll_url);
      expect(r.body).toMatchObject({ status: "completed", elapsed_ms: 0 });
    }
  });
});
