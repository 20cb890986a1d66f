import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runNaive } from "../examples/naive-client.js";
import { ResilientClient, type RunReport, type SubmitRequest } from "../examples/resilient-client.js";
import { WebhookInbox } from "../examples/webhook-inbox.js";
import { keyRef } from "../src/domain/keys.js";
import type { MockServer } from "../src/server.js";
import { control, startMock } from "./helpers/client.js";

const JOBS = 100;
const COST = 2; // moondream2
const requests: SubmitRequest[] = Array.from({ length: JOBS }, (_, i) => ({ path: "/vision", body: { model_id: "moondream2", image_url: `https://example.com/photo-${i}.jpg` } }));

let server: MockServer;
let inbox: WebhookInbox;

beforeAll(async () => {
  // Fast timing on a running clock: every job is done within a second; latency faults shortened to keep the run quick.
  ({ server } = await startMock({ seed: 77, timing: "fast", chaos: 0.2, chaosProfile: "flaky-network", rateLimits: false, credits: 100_000, journalSize: 20_000 }));
  await control(server, "PUT", "/chaos", { params: { latency: { median_ms: 20, sigma: 0.5 } } });
  inbox = await WebhookInbox.start("whsec_resilient_example");
});
afterAll(async () => {
  await server.close();
  await inbox.close();
});

type Faults = { counts: { fault: string; phase: string; key_ref: string; count: number }[]; log: { fault: string; phase: string; key_ref: string; job_id: string | null }[] };
const faultsOf = async (key: string) => {
  const report: Faults = (await control(server, "GET", "/faults?limit=20000")).body;
  return { counts: report.counts.filter((c) => c.key_ref === keyRef(key)), log: report.log.filter((e) => e.key_ref === keyRef(key)) };
};
const jobsOf = async (key: string) => (await control(server, "GET", `/jobs?key=${key}&limit=10000`)).body.jobs as { job_id: string; status: string; webhook_url: string | null }[];

describe("under --chaos 0.2 --chaos-profile flaky-network, 100 jobs", () => {
  const key = "ae_test_resilient001";
  let report: RunReport;

  beforeAll(async () => {
    const client = new ResilientClient({
      baseUrl: server.baseUrl, apiKey: key, inbox,
      requestTimeoutMs: 2_000, backoff: { baseMs: 20, maxMs: 400 }, adoptWaitMs: 1_500, reconcileWaitMs: 1_000,
      poll: { firstMs: 50, factor: 1.2, maxMs: 250, deadlineMs: 30_000 },
    });
    report = await client.run(requests, 20);
  }, 120_000);

  it("the resilient example client brings every job to a terminal state, without an error", async () => {
    expect(report.errors).toEqual([]);
    expect(report.outcomes).toHaveLength(JOBS);
    expect(new Set(report.outcomes.map((o) => o.ref)).size).toBe(JOBS);
    for (const o of report.outcomes) expect(["completed", "failed"]).toContain(o.status);
    // It met the network's faults on the way, submits included.
    const { counts } = await faultsOf(key);
    expect(counts.filter((c) => c.phase === "submit").reduce((n, c) => n + c.count, 0)).toBeGreaterThan(0);
    expect(counts.filter((c) => c.phase === "poll").reduce((n, c) => n + c.count, 0)).toBeGreaterThan(0);
    expect(report.retries).toBeGreaterThan(0);
  });

  it("knows every job the mock created for it, and is charged twice only where a lost answer forced a resubmit, which it reports", async () => {
    const jobs = await jobsOf(key);
    const known = new Set([...report.outcomes.map((o) => o.jobId), ...report.duplicates.flatMap((d) => d.jobIds)]);
    expect(jobs.map((j) => j.job_id).filter((id) => !known.has(id))).toEqual([]);
    for (const j of jobs) expect(["completed", "failed"]).toContain(j.status);
    // Jobs per logical request (its ref is in the webhook_url): more than one only when reported.
    const byRef = new Map<string, string[]>();
    for (const j of jobs) {
      const ref = new URL(j.webhook_url!).searchParams.get("ref")!;
      byRef.set(ref, [...(byRef.get(ref) ?? []), j.job_id]);
    }
    const charged = [...byRef].filter(([, ids]) => ids.length > 1).map(([ref, ids]) => ({ ref, jobIds: ids.sort() }));
    expect(charged).toEqual(report.duplicates.map((d) => ({ ref: d.ref, jobIds: [...d.jobIds].sort() })));
    const { log } = await faultsOf(key);
    const lostSubmits = log.filter((e) => e.phase === "submit" && e.fault === "lost_response");
    expect(charged.reduce((n, c) => n + c.jobIds.length - 1, 0)).toBeLessThanOrEqual(lostSubmits.length);
    expect(server.getAccount(key).credits).toBe(100_000 - COST * jobs.length);
    // Each job whose answer was lost is one the client adopted from its webhook (or reported): none is forgotten.
    expect(lostSubmits.length).toBeGreaterThan(0);
    for (const lost of lostSubmits) expect(known.has(lost.job_id!)).toBe(true);
    expect(report.outcomes.filter((o) => o.adopted).length).toBeGreaterThan(0);
  });

  it("a naive client fails the same run: it stops at the first reset or empty reply and loses jobs it was charged for", async () => {
    const naiveKey = "ae_test_naiveclient1";
    const naive = await runNaive(server.baseUrl, naiveKey, requests, 20, 50);
    expect(naive.errors.length).toBeGreaterThan(0);
    expect(naive.completed + naive.errors.length).toBe(JOBS);
    expect(naive.errors.every((e) => /fetch failed|terminated|socket|JSON|ECONNRESET|other side closed/i.test(e))).toBe(true);
    // Charged for jobs it never saw through.
    const jobs = await jobsOf(naiveKey);
    expect(jobs.length).toBeGreaterThan(naive.completed);
  });
});

describe("one submit whose answer is lost (armed lost_response, no chaos)", () => {
  let quiet: MockServer;
  beforeAll(async () => {
    ({ server: quiet } = await startMock({ seed: 78, timing: "fast", rateLimits: false }));
  });
  afterAll(() => quiet.close());

  const runOne = async (key: string, adoptWaitMs: number) => {
    await control(quiet, "POST", "/scenarios", { fault: "lost_response", key });
    const client = new ResilientClient({ baseUrl: quiet.baseUrl, apiKey: key, inbox, adoptWaitMs, reconcileWaitMs: 1_000, backoff: { baseMs: 1, maxMs: 5 }, poll: { firstMs: 50, factor: 1, maxMs: 50, deadlineMs: 10_000 } });
    return client.run(requests.slice(0, 1), 1);
  };

  it("is adopted from its webhook instead of being paid for twice", async () => {
    const report = await runOne("ae_test_adoptlost01", 3_000);
    expect(report.outcomes).toMatchObject([{ adopted: true, submits: 1 }]);
    expect(report.duplicates).toEqual([]);
    expect(quiet.getAccount("ae_test_adoptlost01").credits).toBe(1000 - COST);
  });

  it("without waiting for the webhook, is resubmitted, charged twice, and reported with both jobs", async () => {
    const report = await runOne("ae_test_blindretry1", 0);
    expect(report.outcomes).toMatchObject([{ adopted: false, submits: 2 }]);
    const jobs = quiet.jobs("ae_test_blindretry1").map((j) => j.job_id).sort();
    expect(jobs).toHaveLength(2);
    expect(report.duplicates.map((d) => [...d.jobIds].sort())).toEqual([jobs]);
    expect(quiet.getAccount("ae_test_blindretry1").credits).toBe(1000 - 2 * COST);
  });
});
