/**
 * Shared by the property-*.test.ts files: raw HTTP clients for requests
 * fetch cannot express, a state snapshot (balances, jobs, rate-limit counters)
 * and the one rule every hostile request is judged by.
 */
import http from "node:http";
import net from "node:net";
import { expect } from "vitest";
import { RATE_LIMITS, type RateBucket } from "../src/domain/rate-limits.js";
import { MAGIC_FAULT_SUFFIX, MAGIC_HOST_SUFFIX } from "../src/domain/scenarios.js";
import type { MockServer } from "../src/server.js";
import { sharedValidators } from "../src/spec/validators.js";
import { assertMatchesSpec, operationFor, TestClient, type Reply } from "./helpers/client.js";

/** Keys provisioned before the properties run; generators pick among them. */
export const KEYS = ["ae_test_propertykey01", "ae_test_propertykey02"] as const;
export const BUCKETS = Object.keys(RATE_LIMITS) as RateBucket[];
const SUBMIT_BUCKET: Record<string, RateBucket> = { submitTryon: "tryon", submitVision: "vision", submitGenerate: "generate" };
const errorSchema = sharedValidators().schemaAt("/components/schemas/Error");

export interface StateSnapshot {
  jobs: number;
  balances: Record<string, number>;
  /** `${key} ${bucket}` → accepted requests in the current window. */
  used: Record<string, number>;
}

export function snapshot(server: MockServer, keys: readonly string[] = KEYS): StateSnapshot {
  const balances: Record<string, number> = {};
  const used: Record<string, number> = {};
  for (const key of keys) {
    // A key never charged shows the balance it would start with: same balance either way.
    const account = server.getAccount(key);
    balances[key] = account.credits;
    for (const b of BUCKETS) used[`${key} ${b}`] = account.usage[b];
  }
  return { jobs: server.jobs().length, balances, used };
}

/**
 * A clean slate for one case without a new server: a minute of virtual time
 * passes (rate-limit windows empty) and the keys get their balance back, so a
 * request that happens to be valid is answered 202, not 429 or 402.
 */
export function freshWindow(server: MockServer, credits = 1000): void {
  server.advance(61_000);
  for (const key of KEYS) server.setAccount(key, credits);
}

/**
 * What an answer may do to the state: a 202 submit adds one job, charges its
 * key `credits_used` and counts once in its bucket; a 200 poll counts once in
 * the poll bucket; anything else changes nothing.
 */
export function expectStateAfter(server: MockServer, before: StateSnapshot, r: { status: number; operationId: string | null; body: any }, key: string | null): void {
  const keys = Object.keys(before.balances);
  const expected = structuredClone(before);
  const bucket = r.operationId ? SUBMIT_BUCKET[r.operationId] : undefined;
  if (r.status === 202 && bucket && key) {
    expected.jobs += 1;
    expected.balances[key]! -= r.body.credits_used;
    expected.used[`${key} ${bucket}`]! += 1;
  } else if (r.status === 200 && r.operationId === "getJob" && key) {
    expected.used[`${key} poll`]! += 1;
  }
  expect(snapshot(server, keys), `state after ${r.status} ${r.operationId}`).toEqual(expected);
}

/** The rule: a documented answer, never a 5xx; errors are `{ error, code }` with a 4xx. */
export function expectDocumented(r: { status: number; headers: Record<string, string>; body: unknown; operationId: string | null }, opts: { parserLevel?: boolean } = {}): void {
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(500);
  if (r.status >= 400) {
    expect(errorSchema(r.body), `error shape for ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(true);
  }
  // Requests Node's parser rejects never reach an operation; their 400 is checked as a plain error.
  if (!opts.parserLevel) assertMatchesSpec(r.operationId, r.status, r.headers, r.body);
}

/** The operation Express will route to: its routing ignores case and a trailing slash. */
export function classify(method: string, path: string): string | null {
  const pathname = path.split("?")[0]!;
  if (!/^\/api\/v1(\/|$)/i.test(pathname)) return null;
  const apiPath = pathname.slice("/api/v1".length);
  const lowered = apiPath.replace(/^\/(models|vision|tryon|generate|jobs)(?=\/|$)/i, (m) => m.toLowerCase());
  return operationFor(method, lowered);
}

/** Scenario triggers make a 502 legitimate; hostile generators must not produce them. */
export const triggersScenario = (text: string) =>
  text.toLowerCase().includes(MAGIC_HOST_SUFFIX) || text.toLowerCase().includes(MAGIC_FAULT_SUFFIX) || /x-mock-(scenario|fault)/i.test(text);

/** Node's HTTP client refuses some header names and values; generators keep to what it can send. */
export function sendableHeader(name: string, value: string): boolean {
  try {
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body in pieces with chunked encoding instead of a Content-Length. */
  chunked?: boolean;
}

/** node:http on a keep-alive agent: sends paths and methods exactly as given. */
export function rawRequest(server: MockServer, req: RawRequest): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: "127.0.0.1", port: server.port, method: req.method, path: req.path, headers: req.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]));
        const body = (headers["content-type"] ?? "").includes("json") ? JSON.parse(text) : text;
        resolve({ status: res.statusCode!, headers, body, text, operationId: classify(req.method, req.path) });
      });
    });
    r.on("error", reject);
    const body = typeof req.body === "string" ? Buffer.from(req.body) : req.body;
    // Node's client frames a GET body with nothing at all; declare it so the message stays well-formed.
    if (body && !req.chunked && !r.hasHeader("content-length")) r.setHeader("Content-Length", body.length);
    if (body && req.chunked) {
      const mid = Math.floor(body.length / 2);
      r.write(body.subarray(0, mid));
      r.end(body.subarray(mid));
    } else r.end(body);
  });
}

/** Bytes straight onto a fresh socket, for what no HTTP client will send; reads until the server closes. */
export function rawSocket(server: MockServer, bytes: Buffer): Promise<{ status: number; headers: Record<string, string>; body: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => {
      const all = Buffer.concat(chunks).toString("latin1");
      const split = all.indexOf("\r\n\r\n");
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(all);
      if (!m || split < 0) return reject(new Error(`no HTTP response, got ${JSON.stringify(all.slice(0, 200))}`));
      const headers: Record<string, string> = {};
      for (const line of all.slice(0, split).split("\r\n").slice(1)) {
        const i = line.indexOf(":");
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const length = Number(headers["content-length"] ?? NaN);
      const text = Buffer.from(all.slice(split + 4, Number.isNaN(length) ? undefined : split + 4 + length), "latin1").toString("utf8");
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* left as text: the error-shape check reports it */
      }
      resolve({ status: Number(m[1]), headers, body, text });
    });
    socket.write(bytes);
  });
}

/** The server keeps serving: run after every batch. */
export async function expectStillServing(api: TestClient): Promise<void> {
  const r = await api.get("/models");
  expect(r.status).toBe(200);
}

export function closeAgent(): void {
  agent.destroy();
}
