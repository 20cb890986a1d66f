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
  params?: Record<string, string | number> | null;
}

/** One entry of the registry: a scenario (a failure the API answers) or a fault (one the network causes). */
export interface ScenarioInfo {
  name: string;
  outcome: string;
  magic_host?: string;
  /** Absent on a mock older than the faults. */
  kind?: "scenario" | "fault";
  /** Phases it can be armed for; the first is the default. */
  phases?: FaultPhase[];
  beyond_docs?: boolean;
  params?: Record<string, FaultParamInfo>;
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

export type FaultPhase = "submit" | "poll" | "result" | "webhook";

/** A fault's parameter as GET /__mock/scenarios describes it. */
export interface FaultParamInfo {
  default: number | null;
  min: number;
  max: number;
  help: string;
}

/** GET /__mock/faults: counts by kind, phase and key (masked), and the log, oldest first. */
export interface FaultReport {
  total: number;
  by_kind: Record<string, number>;
  by_phase: Record<string, number>;
  by_key: { key: string | null; key_ref?: string | null; count: number }[];
  counts: { fault: string; phase: string; key: string | null; count: number }[];
  log: FaultLogEntry[];
  chaos?: { rate: number; profile: string; seed: number };
}

export interface FaultLogEntry {
  time: string;
  time_ms: number;
  fault: string;
  phase: FaultPhase | null;
  key: string | null;
  source: "request" | "webhook";
  method: string | null;
  path: string | null;
  /** 0 when nothing at all was sent. */
  status: number | null;
  response_lost: boolean;
  job_id: string | null;
  delivery_id: string | null;
}

/** GET /__mock/chaos. */
export interface ChaosView {
  rate: number;
  profile: string;
  seed: number;
  params: Record<string, Record<string, number>>;
  profiles: Record<string, { about: string; phases: Partial<Record<FaultPhase, string[]>> }>;
}

export type Severity = "error" | "warn";

export interface DoctorFinding {
  rule: string;
  severity: Severity;
  /** Masked. */
  key: string | null;
  key_ref?: string | null;
  job_id?: string;
  subject?: string;
  count: number;
  /** Wall-clock ISO times. */
  first_seen: string;
  last_seen: string;
  message: string;
  evidence: { id: string | null; at: string; request: string }[];
  credits_wasted?: number;
  advice: string;
  doc: string;
}

/** GET /__mock/doctor. */
export interface DoctorReport {
  enabled: boolean;
  verdict: string;
  findings: DoctorFinding[];
  seen: { requests: number; keys: number; jobs: number; jobs_untracked: number; findings_dropped: number };
}

/** POST /__mock/doctor/probe. */
export interface ProbeReport {
  receivers: { url: string; delivery_id: string; verdict: "rejects forgeries" | "accepts forgeries" | "no answer"; results: { tamper: Tamper; outcome: string; response_status: number | null }[] }[];
  skipped: { url: string; reason: string }[];
  armed: { scenario: string; key: string; id: string } | null;
}
