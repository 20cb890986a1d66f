/**
 * The one typed event stream. Every store emits these; the journal, the
 * dashboard's SSE relay, the doctor and the fault log read them. Keys are raw
 * inside the process (consumers group by them); `toWire` masks them before an
 * event leaves. No event ever carries a webhook secret.
 */
import type { DeliveryRecord } from "../domain/deliveries.js";

/** One request to the public API or the CDN (the journal entry). */
export interface RequestEventData {
  /** Virtual time when the request finished. */
  time_ms: number;
  /** Wall-clock time when the request arrived: client timing is judged on it. */
  wall_ms: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Raw query string without "?", "" when none. */
  query: string;
  /** The Host header as sent, or null. */
  host: string | null;
  status: number;
  /** Raw API key when the request carried a well-formed one. */
  key: string | null;
  /** The spec operation (submitTryon, getJob, …), "cdn" for result downloads, or null. */
  operation: string | null;
  /** Job created by a submit, or the job a poll or download asked for. */
  job_id: string | null;
  model_id: string | null;
  /** Status in the poll's answer (queued, processing, completed, failed). */
  job_status: string | null;
  /** The `code` of an error answer. */
  error_code: string | null;
  /** The `error` text of an error answer (the doctor tells one input error from another by it). */
  error_message: string | null;
  /** Retry-After of a 429, in seconds. */
  retry_after_s: number | null;
  /** A short hash of a POST body, to tell an identical resubmit or retry. */
  body_hash: string | null;
  credits_used: number | null;
  scenario: string | null;
  /** A transport or chaos fault injected into this request. */
  fault: string | null;
  /** The request was processed but its response was cut on purpose. */
  response_lost: boolean;
  duration_ms: number;
  /** The process that served it (hostname:pid, or the --replica-id). */
  replica: string;
}

export interface JobEventData {
  job_id: string;
  key: string;
  kind: string;
  model_id: string;
  scenario: string | null;
  created_ms: number;
  processing_ms: number;
  finished_ms: number;
  expires_ms: number;
  outcome: "completed" | "failed";
  webhook_url: string | null;
}

export type MockEvent =
  | { kind: "request"; data: RequestEventData }
  | { kind: "job"; action: "created" | "expired" | "terminal" | "updated"; data: JobEventData }
  | { kind: "delivery"; action: "attempt" | "outcome"; data: DeliveryRecord }
  | { kind: "clock"; action: "freeze" | "advance" | "resume"; data: { now_ms: number; frozen: boolean; advanced_ms?: number } }
  | { kind: "scenario"; action: "armed" | "consumed" | "disarmed"; data: { id: string; scenario: string; key: string | null; remaining: number; phase: string } }
  | { kind: "account"; action: "set" | "charged" | "refunded" | "deleted" | "created"; data: { key: string; credits: number | null; delta?: number } }
  | { kind: "reset"; action: "reset"; data: { key: string | null } };

export type EventKind = MockEvent["kind"];
export const EVENT_KINDS: readonly EventKind[] = ["request", "job", "delivery", "clock", "scenario", "account", "reset"];

/** An event with its stream id: a number in one process, a Redis stream id across replicas. */
export type StreamEvent = MockEvent & { id: string; replica: string };

export type Unsubscribe = () => void;

export interface EventStream {
  /** Calls `fn` for every event from now on, in order, from every replica. */
  subscribe(fn: (e: StreamEvent) => void): Unsubscribe;
  /** Events after `lastId` that are still retained (oldest first), for Last-Event-ID. */
  since(lastId: string | null, limit?: number): StreamEvent[] | Promise<StreamEvent[]>;
}
