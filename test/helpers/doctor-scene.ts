import { findModel } from "../../src/domain/catalog.js";
import type { DeliveryRecord } from "../../src/domain/deliveries.js";
import { Doctor, type DoctorLimits } from "../../src/doctor/doctor.js";
import type { JobEventData, MockEvent, RequestEventData, StreamEvent } from "../../src/events/types.js";

export const T0 = Date.parse("2026-03-01T12:00:00Z");
export const KEY = "ae_test_doctorscene01";
export const HOST = "127.0.0.1:4010";
const TRYON = "image-apps-v2/virtual-try-on";

/**
 * A doctor fed synthetic events, with both clocks in the test's hands: wall
 * time (the client's timing) and virtual time (job state) move together
 * through wait(), or apart through the fields.
 */
export class Scene {
  wall = T0;
  virtual = T0;
  #seq = 0;
  readonly doctor: Doctor;

  constructor(limits: Partial<DoctorLimits> = {}, publicHost: string | null = null) {
    this.doctor = new Doctor({ now: () => this.virtual, wallNow: () => this.wall, publicHost, limits });
  }

  wait(ms: number): this {
    this.wall += ms;
    this.virtual += ms;
    return this;
  }

  emit(e: MockEvent): string {
    const id = String(++this.#seq);
    this.doctor.observe({ ...e, id, replica: "test:1" } as StreamEvent);
    return id;
  }

  request(r: Partial<RequestEventData>): string {
    return this.emit({
      kind: "request",
      data: {
        time_ms: this.virtual, wall_ms: this.wall, method: "GET", path: "/api/v1/models", query: "", host: HOST, status: 200, key: KEY,
        operation: "listModels", job_id: null, model_id: null, job_status: null, error_code: null, error_message: null, retry_after_s: null,
        body_hash: null, credits_used: null, scenario: null, fault: null, response_lost: false, duration_ms: 1, replica: "test:1", ...r,
      },
    });
  }

  /** A job created and its submit answered 202, as the mock emits them (job event first). */
  submit(jobId: string, o: { key?: string; model?: string; body?: string; webhook?: string | null; runsMs?: number; outcome?: "completed" | "failed"; host?: string } = {}): string {
    const model = findModel(o.model ?? TRYON)!;
    const job: JobEventData = {
      job_id: jobId, key: o.key ?? KEY, kind: model.kind, model_id: model.id, scenario: null, created_ms: this.virtual,
      processing_ms: this.virtual + 1000, finished_ms: this.virtual + (o.runsMs ?? 15_000), expires_ms: this.virtual + (o.runsMs ?? 15_000) + 86_400_000,
      outcome: o.outcome ?? "completed", webhook_url: o.webhook ?? null,
    };
    this.emit({ kind: "job", action: "created", data: job });
    const path = `/api/v1/${model.kind === "tryon" ? "tryon" : model.kind}`;
    return this.request({
      method: "POST", path, status: 202, key: job.key, operation: model.kind === "tryon" ? "submitTryon" : model.kind === "vision" ? "submitVision" : "submitGenerate",
      job_id: jobId, model_id: model.id, body_hash: o.body ?? `body-${jobId}`, credits_used: model.credits, host: o.host ?? HOST,
    });
  }

  /** A poll of the job on its poll_url unless told otherwise; status from the virtual clock. */
  poll(jobId: string, o: Partial<RequestEventData> & { model?: string; finishedAt?: number; outcome?: string } = {}): string {
    const model = o.model ?? TRYON;
    const done = o.finishedAt !== undefined && this.virtual >= o.finishedAt;
    const status = o.status ?? 200;
    return this.request({
      path: `/api/v1/jobs/${jobId}`, query: `model_id=${encodeURIComponent(model)}`, operation: "getJob", job_id: jobId, model_id: model,
      job_status: status === 200 ? (done ? (o.outcome ?? "completed") : "processing") : null, ...o, status,
    });
  }

  download(jobId: string, status = 200): string {
    return this.request({ path: `/cdn/results/${jobId}/0.png`, operation: "cdn", job_id: jobId, status, key: status === 200 ? KEY : null });
  }

  delivery(d: Partial<DeliveryRecord> & { jobId: string }, action: "attempt" | "outcome" = "outcome"): string {
    const record: DeliveryRecord = {
      id: `d-${this.#seq + 1}`, key: KEY, url: "https://hooks.example.test/ae", event: "job.completed", redeliveryOf: null, tamper: null,
      requestHeaders: {}, requestBody: "{}", startedAt: this.virtual, outcome: "delivered", responseStatus: 200, error: null, durationMs: 3,
      replica: "test:1", ...d,
    };
    this.emit({ kind: "delivery", action, data: record });
    return record.id;
  }

  expire(jobId: string): void {
    this.emit({ kind: "job", action: "expired", data: { job_id: jobId } as JobEventData });
  }

  findings(rule?: string) {
    return this.doctor.report().findings.filter((f) => rule === undefined || f.rule === rule);
  }
}
