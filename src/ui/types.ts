/**
 * The /__mock control API as the dashboard reads it (control API v2). Fields
 * the older API lacks are optional, so the dashboard runs against both.
 */

export interface ClockView {
  now: string;
  now_ms: number;
  frozen: boolean;
}

export interface Health {
  status: "ok" | "degraded";
  version: string;
  now: string;
  store?: { kind: string; status: string };
  replica?: string;
}

export type RateBucket = "tryon" | "vision" | "generate" | "poll";

export interface Account {
  /** Masked, e.g. ae_test_abcd…1234. */
  key: string;
  key_ref?: string;
  credits: number;
  jobs: number;
  usage?: Partial<Record<RateBucket, number>>;
}

export interface ArmedScenario {
  id: string;
  scenario: string;
  key: string | null;
  key_ref?: string | null;
  remaining: number;
  phase?: string;
}

export interface ScenarioInfo {
  name: string;
  outcome: string;
  magic_host?: string;
}

export interface ScenariosView {
  armed: ArmedScenario[];
  available: string[];
  registry?: ScenarioInfo[];
}

export type JobStatus = "queued" | "processing" | "completed" | "failed";

export interface JobView {
  job_id: string;
  key: string;
  key_ref?: string;
  kind: string;
  model_id: string;
  status: JobStatus;
  scenario: string | null;
  created_at: string;
  processing_at: string;
  finished_at: string;
  expires_at: string;
  webhook_url: string | null;
}

export interface JobsPage {
  jobs: JobView[];
  /** Absent on the older API, which ignores limit and offset and answers every job. */
  total?: number;
}

export type Tamper = "signature" | "timestamp" | "body";

export interface Delivery {
  id: string;
  jobId: string;
  key: string;
  url: string;
  event: string;
  redeliveryOf: string | null;
  tamper: Tamper | null;
  signed?: boolean;
  requestHeaders: Record<string, string>;
  requestBody: string;
  startedAt: number;
  outcome: "pending" | "delivered" | "http_error" | "redirect" | "timeout" | "connection_error";
  responseStatus: number | null;
  error: string | null;
  durationMs: number | null;
}

export interface RequestEntry {
  id?: string;
  time: string;
  method: string;
  path: string;
  query?: string;
  status: number;
  key: string | null;
  scenario: string | null;
  fault?: string | null;
  duration_ms: number;
  job_id?: string | null;
  host?: string | null;
}

export interface ScheduledEvent {
  at: string;
  at_ms: number;
  type: "processing" | "terminal" | "webhook" | "expire";
  job_id: string;
  key: string;
}

export interface Schedule {
  now_ms: number;
  events: ScheduledEvent[];
}

export const EVENT_KINDS = ["request", "job", "delivery", "clock", "scenario", "account", "reset"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** One Server-Sent Event's data: `{ id, kind, action, replica, data }`. */
export interface WireEvent {
  id: string;
  kind: EventKind;
  action: string;
  replica?: string;
  data: unknown;
}

/** What the page's <meta name="ae-mock"> carries. */
export interface PageConfig {
  version: string;
  rateLimits: Record<RateBucket, number>;
  tokenRequired: boolean;
  scenarios: ScenarioInfo[];
}
