import { describe, expect, it } from "vitest";
import { shutdownSummary } from "../src/doctor/report.js";
import { RULES } from "../src/doctor/rules.js";
import { HOST, KEY, Scene } from "./helpers/doctor-scene.js";

const J1 = "00000000-0000-4000-8000-000000000001";
const J2 = "00000000-0000-4000-8000-000000000002";
const J3 = "00000000-0000-4000-8000-000000000003";
const jobId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

/** Polls a job every `gapMs` until it is seen finished, as a client loop would. */
function pollToEnd(s: Scene, id: string, finishedAt: number, gapMs = 3000, opts: Parameters<Scene["poll"]>[1] = {}) {
  for (let i = 0; i < 100; i++) {
    s.wait(gapMs);
    s.poll(id, { finishedAt, ...opts });
    if (s.virtual >= finishedAt) return;
  }
}

describe("the doctor's rules over synthetic events", () => {
  it("has 13 rules, each with an id, a severity, a doc sentence and advice", () => {
    expect(RULES.map((r) => r.id)).toEqual([
      "poll-too-fast", "poll-budget", "retry-before-retry-after", "retry-non-retryable", "no-jitter", "double-submit", "own-poll-url",
      "polls-after-terminal", "abandoned-job", "result-not-downloaded", "webhook-unverified", "webhook-only", "rejected-input-repeated",
    ]);
    for (const r of RULES) {
      expect(["error", "warn"]).toContain(r.severity);
      expect(r.doc.length).toBeGreaterThan(20);
      expect(r.advice.length).toBeGreaterThan(20);
    }
  });

  it("stays silent for a client that polls every 3 s, stops at completed and downloads the result", () => {
    const s = new Scene();
    s.submit(J1);
    const finishedAt = s.virtual + 15_000;
    pollToEnd(s, J1, finishedAt);
    s.download(J1);
    s.wait(86_400_000).expire(J1);
    expect(s.findings()).toEqual([]);
    expect(s.doctor.report().verdict).toMatch(/^No findings/);
  });

  describe("poll-too-fast", () => {
    it("flags a job polled 1 s after its previous poll, citing both polls", () => {
      const s = new Scene();
      s.submit(J1);
      const first = s.wait(3000).poll(J1);
      const second = s.wait(1000).poll(J1);
      s.wait(500).poll(J1);
      const [f] = s.findings("poll-too-fast");
      expect(f).toMatchObject({ severity: "warn", key: KEY, job_id: J1, count: 2 });
      expect(f!.message).toContain("Polled 1.0 s after the previous poll");
      expect(f!.evidence.map((e) => e.id)).toEqual([first, second, expect.any(String)]);
      expect(f!.evidence[1]!.request).toBe(`GET /api/v1/jobs/${J1}?model_id=image-apps-v2%2Fvirtual-try-on → 200 processing`);
    });

    it("accepts exactly 2 s, and two jobs polled at the same moment", () => {
      const s = new Scene();
      s.submit(J1);
      s.submit(J2);
      for (let i = 0; i < 3; i++) s.wait(2000).poll(J1) && s.poll(J2);
      expect(s.findings("poll-too-fast")).toEqual([]);
    });
  });

  describe("poll-budget", () => {
    it("flags more than 120 polls in a minute, and the pace that projects past it with the concurrency it allows", () => {
      const s = new Scene();
      for (let j = 1; j <= 10; j++) s.submit(jobId(j));
      // 10 jobs each polled every 2.5 s: 4 polls a second, 240 a minute.
      for (let t = 0; t < 40; t++) {
        s.wait(2500);
        for (let j = 1; j <= 10; j++) s.poll(jobId(j));
      }
      const found = s.findings("poll-budget");
      const minute = found.find((f) => f.severity === "error")!;
      expect(minute.message).toMatch(/^(12[1-9]|1[3-9]\d|2\d\d) polls within one minute/);
      expect(minute.count).toBeGreaterThan(100);
      const pace = found.find((f) => f.severity === "warn")!;
      expect(pace.message).toContain("every 2.5 s; with 10 jobs in flight that makes about 240 polls a minute");
      expect(pace.message).toContain("the budget allows 5 concurrent jobs");
    });

    it("is quiet for three jobs polled every 3 s (60 a minute)", () => {
      const s = new Scene();
      for (const j of [J1, J2, J3]) s.submit(j);
      for (let t = 0; t < 40; t++) {
        s.wait(3000);
        for (const j of [J1, J2, J3]) s.poll(j);
      }
      expect(s.findings("poll-budget")).toEqual([]);
    });
  });

  describe("retry-before-retry-after", () => {
    it("flags the same submit sent again 10 s into a 60 s Retry-After", () => {
      const s = new Scene();
      const limited = s.request({ method: "POST", path: "/api/v1/tryon", operation: "submitTryon", status: 429, error_code: "RATE_LIMIT_EXCEEDED", retry_after_s: 60, body_hash: "same" });
      const early = s.wait(10_000).request({ method: "POST", path: "/api/v1/tryon", operation: "submitTryon", status: 429, error_code: "RATE_LIMIT_EXCEEDED", retry_after_s: 50, body_hash: "same" });
      const [f] = s.findings("retry-before-retry-after");
      expect(f).toMatchObject({ severity: "error", count: 1 });
      expect(f!.message).toBe("Sent again 10.0 s after a 429 whose Retry-After was 60.0 s.");
      expect(f!.evidence.map((e) => e.id)).toEqual([limited, early]);
    });

    it("accepts the retry once Retry-After has elapsed, and other requests meanwhile", () => {
      const s = new Scene();
      s.request({ method: "POST", path: "/api/v1/tryon", operation: "submitTryon", status: 429, retry_after_s: 60, body_hash: "same" });
      s.wait(5000).request({ method: "POST", path: "/api/v1/tryon", operation: "submitTryon", status: 202, body_hash: "other", job_id: J2 });
      s.wait(55_000).request({ method: "POST", path: "/api/v1/tryon", operation: "submitTryon", status: 202, body_hash: "same", job_id: J1 });
      expect(s.findings("retry-before-retry-after")).toEqual([]);
    });
  });

  describe("retry-non-retryable", () => {
    const bad = { method: "POST", path: "/api/v1/vision", operation: "submitVision", status: 400, error_code: "MISSING_FIELD", body_hash: "b1" };

    it("flags the same request sent unchanged after a 400", () => {
      const s = new Scene();
      const first = s.request(bad);
      const again = s.wait(1000).request(bad);
      const [f] = s.findings("retry-non-retryable");
      expect(f).toMatchObject({ severity: "error", count: 1, subject: "POST /api/v1/vision → 400 MISSING_FIELD" });
      expect(f!.evidence.map((e) => e.id)).toEqual([first, again]);
    });

    it("accepts a changed body, and a 402 repeated after the credits were set", () => {
      const s = new Scene();
      s.request(bad);
      s.wait(1000).request({ ...bad, body_hash: "b2", status: 202, error_code: null, job_id: J1 });
      const broke = { method: "POST", path: "/api/v1/tryon", operation: "submitTryon", status: 402, error_code: "INSUFFICIENT_CREDITS", body_hash: "t1" };
      s.request(broke);
      s.emit({ kind: "account", action: "set", data: { key: KEY, credits: 100 } });
      s.wait(1000).request({ ...broke, status: 202, job_id: J2 });
      expect(s.findings("retry-non-retryable")).toEqual([]);
    });

    it("groups key-less 401s under no key", () => {
      const s = new Scene();
      const noKey = { key: null, path: "/api/v1/jobs/x", query: "model_id=moondream2", operation: "getJob", status: 401, error_code: "UNAUTHORIZED" };
      s.request(noKey);
      s.wait(3000).request(noKey);
      expect(s.findings("retry-non-retryable")).toMatchObject([{ key: null, count: 1 }]);
    });
  });

  describe("no-jitter", () => {
    it("flags polls retried after errors at the same gap, with no backoff, across jobs", () => {
      const s = new Scene();
      for (const j of [J1, J2, J3]) s.submit(j);
      s.wait(3000);
      for (const j of [J1, J2, J3]) s.poll(j);
      s.wait(3000);
      for (const j of [J1, J2, J3]) s.poll(j, { status: 502, error_code: "STATUS_ERROR" });
      s.wait(3000);
      for (const j of [J1, J2, J3]) s.poll(j);
      const [f] = s.findings("no-jitter");
      expect(f).toMatchObject({ severity: "warn", count: 3 });
      expect(f!.message).toBe("3 retries after errors came every 3.0 s, no later than before the error: no backoff, no jitter, so clients retry in lock-step.");
      expect(f!.evidence.map((e) => e.request)).toEqual([J1, J2, J3].map((j) => `GET /api/v1/jobs/${j}?model_id=image-apps-v2%2Fvirtual-try-on → 200 processing`));
    });

    it("flags a submit retried every second after 502s", () => {
      const s = new Scene();
      const submit = { method: "POST", path: "/api/v1/tryon", operation: "submitTryon", status: 502, error_code: "SUBMISSION_ERROR", body_hash: "x" };
      for (let i = 0; i < 5; i++) s.wait(1000).request(submit);
      expect(s.findings("no-jitter")).toMatchObject([{ count: 3 }]);
    });

    it("accepts the docs' loop (×1.2 after every answer) and exponential backoff after errors", () => {
      const s = new Scene();
      s.submit(J1);
      let delay = 3000;
      for (let i = 0; i < 6; i++) {
        s.wait(delay).poll(J1, i >= 2 && i < 5 ? { status: 502, error_code: "STATUS_ERROR" } : {});
        delay = Math.min(delay * 1.2, 10_000);
      }
      s.submit(J2);
      s.wait(3000).poll(J2);
      for (const gap of [3000, 6000, 12_000]) s.wait(gap).poll(J2, { status: 502 });
      s.wait(24_000).poll(J2);
      expect(s.findings("no-jitter")).toEqual([]);
    });

    it("accepts jobs that all back off by the same factor after an error (×1.2 is backoff)", () => {
      const s = new Scene();
      for (const j of [J1, J2, J3]) s.submit(j);
      s.wait(3000);
      for (const j of [J1, J2, J3]) s.poll(j);
      s.wait(3000);
      for (const j of [J1, J2, J3]) s.poll(j, { status: 502, error_code: "STATUS_ERROR" });
      s.wait(3600);
      for (const j of [J1, J2, J3]) s.poll(j);
      expect(s.findings("no-jitter")).toEqual([]);
    });
  });

  describe("double-submit", () => {
    it("flags the same body accepted twice within 60 s and counts the credits spent twice", () => {
      const s = new Scene();
      const first = s.submit(J1, { body: "same-body" });
      const second = s.wait(20_000).submit(J2, { body: "same-body" });
      const [f] = s.findings("double-submit");
      expect(f).toMatchObject({ severity: "error", count: 1, credits_wasted: 15, job_id: J1, subject: "body:same-body" });
      expect(f!.message).toBe(`The same /api/v1/tryon body was accepted again 20.0 s after job ${J1} (job ${J2}): 15 credits spent twice.`);
      expect(f!.evidence.map((e) => e.id)).toEqual([first, second]);
    });

    it("accepts the same body a minute later, and different bodies at once", () => {
      const s = new Scene();
      s.submit(J1, { body: "same-body" });
      s.submit(J2, { body: "other-body" });
      s.wait(61_000).submit(J3, { body: "same-body" });
      expect(s.findings("double-submit")).toEqual([]);
    });
  });

  describe("own-poll-url", () => {
    it("flags another host, a reordered query and a missing model_id", () => {
      const s = new Scene();
      for (const j of [J1, J2, J3]) s.submit(j);
      s.wait(3000).poll(J1, { host: "localhost:4010" });
      s.poll(J2, { query: "foo=1&model_id=image-apps-v2%2Fvirtual-try-on" });
      s.poll(J3, { job_id: null, query: "", status: 400, error_code: "INVALID_REQUEST" });
      const found = s.findings("own-poll-url");
      expect(found.map((f) => f.job_id)).toEqual([J1, J2, J3]);
      expect(found[0]!.message).toContain(`host localhost:4010 instead of ${HOST}`);
      expect(found[1]!.message).toContain("query foo=1&model_id=image-apps-v2%2Fvirtual-try-on instead of model_id=image-apps-v2%2Fvirtual-try-on");
      expect(found[2]!.message).toContain("no query instead of model_id=");
    });

    it("accepts the poll_url as returned, and the --public-url host", () => {
      const s = new Scene({}, "mock.example.test");
      s.submit(J1);
      s.wait(3000).poll(J1);
      s.wait(3000).poll(J1, { host: "mock.example.test" });
      expect(s.findings("own-poll-url")).toEqual([]);
    });
  });

  it("polls-after-terminal: flags each poll after the client saw completed", () => {
    const s = new Scene();
    s.submit(J1, { runsMs: 5000 });
    const finishedAt = s.virtual + 5000;
    pollToEnd(s, J1, finishedAt);
    s.download(J1);
    const extra = s.wait(3000).poll(J1, { finishedAt });
    s.wait(3000).poll(J1, { finishedAt });
    const [f] = s.findings("polls-after-terminal");
    expect(f).toMatchObject({ severity: "warn", count: 2, job_id: J1, message: "Polled 2 more time(s) after the client had seen it completed." });
    expect(f!.evidence[0]!.id).toBe(extra);
  });

  describe("abandoned-job", () => {
    it("flags a job never polled once it has finished, and keeps the finding after it expires", () => {
      const s = new Scene();
      s.submit(J1, { runsMs: 10_000 });
      expect(s.findings("abandoned-job")).toEqual([]); // still running
      s.wait(11_000);
      expect(s.findings("abandoned-job")).toMatchObject([{ severity: "warn", job_id: J1, credits_wasted: 15 }]);
      s.wait(86_400_000).expire(J1);
      const [f] = s.findings("abandoned-job");
      expect(f!.message).toBe("The job was never polled; it expired. 15 credits paid for nothing.");
      expect(s.doctor.report().seen.jobs).toBe(0);
    });

    it("waits while the client is still polling, and ignores jobs with a webhook", () => {
      const s = new Scene();
      s.submit(J1, { runsMs: 10_000 });
      s.submit(J2, { runsMs: 10_000, webhook: "https://hooks.example.test/ae" });
      s.wait(9000).poll(J1);
      s.wait(2000);
      expect(s.findings("abandoned-job")).toEqual([]); // last polled 2 s ago
      s.wait(30_000);
      expect(s.findings("abandoned-job")).toMatchObject([{ job_id: J1 }]);
      expect(s.findings("abandoned-job")[0]!.message).toContain("was last polled 32.0 s ago and never seen finished");
    });
  });

  describe("result-not-downloaded", () => {
    it("warns while the job is alive and errs once it expired", () => {
      const s = new Scene();
      s.submit(J1, { runsMs: 5000 });
      pollToEnd(s, J1, s.virtual + 5000);
      expect(s.findings("result-not-downloaded")).toMatchObject([{ severity: "warn", job_id: J1 }]);
      s.wait(86_400_000).expire(J1);
      expect(s.findings("result-not-downloaded")).toMatchObject([{ severity: "error", job_id: J1, credits_wasted: 15 }]);
    });

    it("is quiet for a downloaded result, a failed job and a vision job", () => {
      const s = new Scene();
      s.submit(J1, { runsMs: 5000 });
      s.submit(J2, { runsMs: 5000, outcome: "failed" });
      s.submit(J3, { runsMs: 2000, model: "moondream2" });
      const finishedAt = s.virtual + 5000;
      pollToEnd(s, J1, finishedAt);
      s.poll(J2, { finishedAt, outcome: "failed" });
      s.poll(J3, { finishedAt, model: "moondream2" });
      s.download(J1);
      expect(s.findings()).toEqual([]);
    });
  });

  describe("webhook-unverified", () => {
    it("flags a receiver that answered 2xx to tampered deliveries, naming each tamper", () => {
      const s = new Scene();
      s.submit(J1, { webhook: "https://hooks.example.test/ae" });
      s.delivery({ jobId: J1, tamper: "signature", redeliveryOf: "d-0", responseStatus: 204 });
      s.delivery({ jobId: J1, tamper: "body", redeliveryOf: "d-0", outcome: "http_error", responseStatus: 400 });
      s.delivery({ jobId: J1, tamper: "timestamp", redeliveryOf: "d-0", responseStatus: 200 });
      const [f] = s.findings("webhook-unverified");
      expect(f).toMatchObject({ severity: "error", count: 2, subject: "https://hooks.example.test/ae" });
      expect(f!.message).toContain("tampered signature, timestamp");
      expect(f!.evidence.map((e) => e.request)).toEqual([
        "POST https://hooks.example.test/ae (signature tampered) → 204", "POST https://hooks.example.test/ae (timestamp tampered) → 200",
      ]);
    });
  });

  describe("webhook-only", () => {
    it("flags a failed delivery the client never reconciled by polling", () => {
      const s = new Scene();
      s.submit(J1, { webhook: "https://hooks.example.test/ae", runsMs: 5000 });
      s.wait(5000).delivery({ jobId: J1, outcome: "timeout", responseStatus: null });
      s.wait(60_000);
      const [f] = s.findings("webhook-only");
      expect(f).toMatchObject({ severity: "error", job_id: J1 });
      expect(f!.message).toBe('Its webhook delivery ended "timeout" and the key never polls: the result was never reconciled.');
    });

    it("is quiet once the client polls the job after the failure", () => {
      const s = new Scene();
      s.submit(J1, { webhook: "https://hooks.example.test/ae", runsMs: 5000 });
      s.wait(5000).delivery({ jobId: J1, outcome: "connection_error", responseStatus: null });
      s.wait(3000).poll(J1, { finishedAt: s.virtual });
      s.download(J1);
      expect(s.findings()).toEqual([]);
    });

    it("is quiet when the client had polled the job to completed before its delivery timed out", () => {
      const s = new Scene();
      s.submit(J1, { webhook: "https://hooks.example.test/ae", runsMs: 5000 });
      pollToEnd(s, J1, s.virtual + 5000);
      s.download(J1);
      // The receiver hangs: the delivery's outcome comes after the webhook timeout, well after the client saw the result.
      s.wait(10_000).delivery({ jobId: J1, outcome: "timeout", responseStatus: null });
      s.wait(60_000);
      expect(s.findings()).toEqual([]);
      s.wait(86_400_000).expire(J1);
      expect(s.findings()).toEqual([]);
    });
  });

  describe("rejected-input-repeated", () => {
    const imageError = { method: "POST", path: "/api/v1/vision", operation: "submitVision", status: 400, error_code: "IMAGE_ERROR", error_message: "Image error: Private URLs not allowed" };

    it("flags the same IMAGE_ERROR answered three times to a key", () => {
      const s = new Scene();
      const ids = [1, 2, 3].map((n) => s.wait(5000).request({ ...imageError, body_hash: `b${n}` }));
      const [f] = s.findings("rejected-input-repeated");
      expect(f).toMatchObject({ severity: "warn", count: 3, subject: "IMAGE_ERROR: Image error: Private URLs not allowed" });
      expect(f!.message).toBe("IMAGE_ERROR was answered 3 times (Image error: Private URLs not allowed): the client resends instead of handling it.");
      expect(f!.evidence.map((e) => e.id)).toEqual(ids);
    });

    it("does not count different errors together", () => {
      const s = new Scene();
      s.request({ ...imageError, body_hash: "1" });
      s.request({ ...imageError, body_hash: "2", error_message: "Image error: Image exceeds 10 MB" });
      s.request({ ...imageError, body_hash: "3", error_code: "MISSING_FIELD", error_message: "model_id \"llava-next\" requires a \"prompt\" field." });
      expect(s.findings("rejected-input-repeated")).toEqual([]);
    });
  });
});

describe("the doctor's memory stays bounded", () => {
  it("tracks at most maxJobs jobs, forgets a job when it expires, and counts the ones it had to drop", () => {
    const s = new Scene({ maxJobs: 100 });
    for (let i = 0; i < 250; i++) s.submit(jobId(i));
    expect(s.doctor.report().seen).toMatchObject({ jobs: 100, jobs_untracked: 150 });
    for (let i = 150; i < 250; i++) {
      s.poll(jobId(i), { finishedAt: s.virtual });
      s.download(jobId(i));
      s.expire(jobId(i));
    }
    expect(s.doctor.report().seen.jobs).toBe(0);
  });

  it("stores at most maxFindings findings and counts the rest", () => {
    const s = new Scene({ maxFindings: 10 });
    for (let i = 0; i < 50; i++) s.submit(jobId(i), { runsMs: 1 });
    s.wait(10);
    for (let i = 0; i < 50; i++) s.expire(jobId(i));
    const r = s.doctor.report();
    expect(r.findings).toHaveLength(10);
    expect(r.seen.findings_dropped).toBe(40);
  });

  it("keeps its list of job ids bounded when jobs expire or their key is reset, however many jobs it has seen", () => {
    const s = new Scene();
    for (let i = 0; i < 5000; i++) {
      s.submit(jobId(i));
      s.expire(jobId(i));
    }
    expect(s.doctor.report().seen.jobs).toBe(0);
    expect(s.doctor.orderLength).toBeLessThanOrEqual(1024);
    for (let i = 0; i < 500; i++) s.submit(jobId(10_000 + i), { key: "ae_test_otherkey0001" });
    for (let i = 0; i < 3000; i++) s.submit(jobId(20_000 + i));
    s.emit({ kind: "reset", action: "reset", data: { key: KEY } });
    expect(s.doctor.report().seen.jobs).toBe(500);
    expect(s.doctor.orderLength).toBeLessThanOrEqual(2 * 500 + 1024);
    // The oldest job still goes first at the cap: the list kept the order jobs were tracked in.
    const capped = new Scene({ maxJobs: 3 });
    for (let i = 0; i < 3000; i++) capped.submit(jobId(i)) && capped.expire(jobId(i));
    for (const n of [1, 2, 3, 4]) capped.submit(jobId(90_000 + n), { runsMs: 1 });
    capped.wait(10);
    expect(capped.doctor.report().seen).toMatchObject({ jobs: 3, jobs_untracked: 1 });
    expect(capped.findings("abandoned-job").map((f) => f.job_id)).toEqual([jobId(90_002), jobId(90_003), jobId(90_004)]);
  });

  it("lets an error displace the oldest warning when the book is full, and counts what it drops by severity and key", () => {
    const s = new Scene({ maxFindings: 2 });
    const forged = (n: number) => s.delivery({ jobId: J3, tamper: "signature", redeliveryOf: "d-0", responseStatus: 204, url: `https://hooks.example.test/${n}` });
    s.submit(J1);
    s.submit(J2);
    s.wait(3000).poll(J1, { host: "localhost:4010" });
    s.poll(J2, { host: "localhost:4010" });
    expect(s.findings().map((f) => [f.rule, f.job_id])).toEqual([["own-poll-url", J1], ["own-poll-url", J2]]);
    forged(1);
    expect(s.findings().map((f) => [f.rule, f.subject ?? f.job_id])).toEqual([["webhook-unverified", "https://hooks.example.test/1"], ["own-poll-url", J2]]);
    // The displaced warning happens again: counted as dropped, not added to a finding no report shows.
    s.wait(3000).poll(J1, { host: "localhost:4010" });
    expect(s.doctor.report().seen).toMatchObject({ findings_dropped: 2, findings_dropped_errors: 0, findings_dropped_warnings: 2 });
    forged(2);
    forged(3); // the book holds only errors now: this one is dropped
    const r = s.doctor.report();
    expect(r.findings.map((f) => f.subject)).toEqual(["https://hooks.example.test/1", "https://hooks.example.test/2"]);
    expect(r.seen).toMatchObject({ findings_dropped: 4, findings_dropped_errors: 1, findings_dropped_warnings: 3 });
    expect(r.verdict).toBe("2 findings (2 errors, 0 warnings): webhook-unverified; 4 more not kept, the doctor's book being full (1 error, 3 warnings).");
    expect(s.doctor.report(KEY).seen).toMatchObject({ findings_dropped_errors: 1, findings_dropped_warnings: 3 });
    expect(s.doctor.report("ae_test_otherkey0001").seen).toMatchObject({ findings_dropped_errors: 0, findings_dropped_warnings: 0 });
    s.emit({ kind: "reset", action: "reset", data: { key: KEY } });
    expect(s.doctor.report().seen).toMatchObject({ findings_dropped: 0, findings_dropped_errors: 0, findings_dropped_warnings: 0 });
  });

  it("tracks at most maxKeys keys, the least recently seen going first", () => {
    const s = new Scene({ maxKeys: 5 });
    for (let i = 0; i < 20; i++) s.request({ key: `ae_test_key${String(i).padStart(8, "0")}` });
    expect(s.doctor.report().seen.keys).toBe(5);
    // A key that keeps coming back keeps its state (here: the request it was refused).
    const bad = { key: "ae_test_stays000001", method: "POST", path: "/api/v1/vision", operation: "submitVision", status: 400, error_code: "INVALID_REQUEST", body_hash: "x" };
    s.request(bad);
    for (let i = 20; i < 40; i++) {
      s.request({ key: `ae_test_key${String(i).padStart(8, "0")}` });
      if (i % 3 === 0) s.request(bad);
    }
    expect(s.findings("retry-non-retryable")).toMatchObject([{ key: "ae_test_stays000001", count: 7 }]);
  });

  it("forgets a key's jobs and findings when the key is reset, and everything on a full reset", () => {
    const s = new Scene();
    s.submit(J1, { runsMs: 1 });
    s.submit(J2, { runsMs: 1, key: "ae_test_otherkey0001" });
    s.wait(10);
    expect(s.findings("abandoned-job")).toHaveLength(2);
    s.emit({ kind: "reset", action: "reset", data: { key: KEY } });
    expect(s.findings().map((f) => f.key)).toEqual(["ae_test_otherkey0001"]);
    s.emit({ kind: "reset", action: "reset", data: { key: null } });
    expect(s.doctor.report()).toMatchObject({ findings: [], seen: { jobs: 0, keys: 0 } });
  });
});

describe("the shutdown summary", () => {
  it("masks an API key that a finding's message quotes from a request's query", () => {
    const secret = "ae_live_SuperSecretKey9876";
    const s = new Scene();
    s.submit(J1, { key: secret });
    s.wait(3000).poll(J1, { key: secret, query: `model_id=image-apps-v2%2Fvirtual-try-on&api_key=${secret}` });
    const summary = shutdownSummary(s.doctor.report())!;
    expect(summary).toContain("own-poll-url");
    expect(summary).toContain("api_key=ae_live_Supe…9876");
    expect(summary).not.toContain(secret);
  });
});
