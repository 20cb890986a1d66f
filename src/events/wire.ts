import { keyRef, maskKey } from "../domain/keys.js";
import type { RequestEventData, StreamEvent } from "./types.js";

/** A journal entry as the control API shows it: ISO time, masked key. */
export interface JournalEntry {
  id: string;
  time: string;
  method: string;
  path: string;
  query: string;
  status: number;
  key: string | null;
  key_ref: string | null;
  operation: string | null;
  job_id: string | null;
  scenario: string | null;
  fault: string | null;
  response_lost: boolean;
  error_code: string | null;
  duration_ms: number;
  replica: string;
}

export function journalEntry(id: string, r: RequestEventData): JournalEntry {
  return {
    id, time: new Date(r.time_ms).toISOString(), method: r.method, path: r.path, query: r.query, status: r.status,
    key: r.key === null ? null : maskKey(r.key), key_ref: r.key === null ? null : keyRef(r.key),
    operation: r.operation, job_id: r.job_id, scenario: r.scenario, fault: r.fault, response_lost: r.response_lost,
    error_code: r.error_code, duration_ms: r.duration_ms, replica: r.replica,
  };
}

const maskIn = (data: Record<string, unknown>) =>
  typeof data.key === "string" ? { ...data, key: maskKey(data.key), key_ref: keyRef(data.key) } : data;

/** An event as it leaves the process (SSE, export): keys masked, never a secret. */
export function toWire(e: StreamEvent): { id: string; kind: string; action: string; replica: string; data: unknown } {
  const action = "action" in e ? e.action : "request";
  return { id: e.id, kind: e.kind, action, replica: e.replica, data: maskIn(e.data as unknown as Record<string, unknown>) };
}
