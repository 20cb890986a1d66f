import { sharedValidators } from "../../src/spec/validators.js";
import { contractConfig, type ContractConfig } from "./config.js";
import { rawControl } from "./control.js";
import { checkPoll } from "./invariants.js";
import { guardSubmit, noteCharge } from "./budget.js";
import { noteControl, noteSubmit, openWallet } from "./money.js";
import { priceOf } from "../../src/contract/money.js";
import type { JobKind } from "../../src/domain/catalog.js";
import { Pacer, bucketOf } from "./pacing.js";
import { record } from "./ledger.js";
import { recordExchange, wallNow } from "./recorder.js";

export interface Reply<T = any> {
  status: number;
  headers: Record<string, string>;
  body: T;
  operationId: string | null;
}

export interface CallOptions {
  key?: string | null;
  headers?: Record<string, string>;
  body?: unknown;
  raw?: string;
}

/** A 429 outside the rate-limit test: the test is skipped with this reason, never failed. */
export class RateLimitedError extends Error {
  override name = "RateLimitedError";
}

export class ContractViolation extends Error {
  override name = "ContractViolation";
}

const validators = sharedValidators();
const pacer = new Pacer();
const MAX_GET_RETRIES = 3;

/**
 * The one client of the contract suite. Every response is checked against
 * openapi.yaml (documented status for the operation, content type, headers,
 * body) before a test sees it, so no test can forget to validate.
 */
export class ContractClient {
  readonly cfg: ContractConfig;
  readonly key: string;
  /** In the rate-limit test a 429 is the expected answer, not a reason to skip. */
  expect429 = false;

  constructor(key?: string, cfg: ContractConfig = contractConfig()) {
    this.cfg = cfg;
    this.key = key ?? cfg.apiKey;
  }

  async call<T = any>(method: string, pathOrUrl: string, opts: CallOptions = {}): Promise<Reply<T>> {
    const url = new URL(pathOrUrl.startsWith("http") ? pathOrUrl : this.cfg.baseUrl + pathOrUrl);
    const basePath = new URL(this.cfg.baseUrl).pathname.replace(/\/+$/, "");
    const apiPath = url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) : url.pathname;
    const m = method.toLowerCase();
    // A wrong method on a known path is judged by that path's operations (they all document 405).
    const onPath = validators.operationsOnPath(apiPath);
    const exact = onPath.find((t) => t.method === m);
    const operationId = exact?.operationId ?? onPath[0]?.operationId ?? null;
    const alsoCovers = exact ? [] : onPath.slice(1).map((t) => t.operationId);
    const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
    const key = opts.key === undefined ? this.key : opts.key;
    if (key !== null && headers.Authorization === undefined) headers.Authorization = `Bearer ${key}`;
    let body = opts.raw;
    if (body === undefined && opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["Content-Type"] ??= "application/json";
    }
    const bucket = bucketOf(method, apiPath);
    const submitKind = bucket && bucket !== "poll" ? bucket : null;
    // Refused before anything is sent: a submit once spending stopped, or one that would pass the budget.
    if (submitKind) guardSubmit(`${method} ${apiPath}`, priceOf(submitKind, (parseSmall(body) as { model_id?: unknown } | undefined)?.model_id));
    if (submitKind && key) await openWallet(this.cfg, key);
    for (let attempt = 0; ; attempt++) {
      if (bucket && !this.expect429) await pacer.waitTurn(`${key}:${bucket}`, bucket);
      const startedMs = wallNow();
      const res = await fetch(url, { method, headers, body });
      const text = await res.text();
      const resHeaders = Object.fromEntries(res.headers.entries());
      recordExchange({
        kind: "api", operationId, startedMs, durationMs: wallNow() - startedMs, method, url: url.href, requestHeaders: headers, requestBody: body,
        status: res.status, responseHeaders: resHeaders, responseBody: text,
      });
      record({ type: "request", status: res.status });
      if (submitKind && res.status === 202) noteCharge(chargeOf(text, submitKind, body), `${method} ${apiPath}`);
      let parsed: unknown = text;
      if ((resHeaders["content-type"] ?? "").includes("json")) {
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new ContractViolation(`${method} ${url.pathname}: ${res.status} with a JSON content type but an unparseable body`);
        }
      }
      if (res.status === 429 && !this.expect429) {
        const wait = Number(resHeaders["retry-after"] ?? "60");
        if (m === "get" && attempt < MAX_GET_RETRIES && wait <= 120) {
          await this.waitOut(wait * 1000);
          continue;
        }
        throw new RateLimitedError(`${method} ${url.pathname} was rate limited by the target (429, Retry-After ${resHeaders["retry-after"] ?? "absent"})`);
      }
      this.#check(operationId, method, url.pathname, res.status, resHeaders, parsed);
      if (submitKind && key) noteSubmit(key, submitKind, parseSmall(body), headers, res.status, parsed);
      if (operationId === "getJob" && m === "get" && res.status === 200) {
        const bad = checkPoll(apiPath, url.searchParams, parsed);
        if (bad.length) throw new ContractViolation(`getJob (GET ${url.pathname}): ${bad.join("; ")}`);
      }
      for (const other of alsoCovers) record({ type: "observe", operationId: other, status: res.status });
      return { status: res.status, headers: resHeaders, body: parsed as T, operationId };
    }
  }

  get<T = any>(path: string, opts?: CallOptions) {
    return this.call<T>("GET", path, opts);
  }

  post<T = any>(path: string, body: unknown, opts: CallOptions = {}) {
    return this.call<T>("POST", path, { ...opts, body });
  }

  /** Waits out a Retry-After: on a mock by advancing its clock, on a live API in real time. */
  async waitOut(ms: number): Promise<void> {
    if (this.cfg.isMock) await mockControl(this.cfg, "POST", "/clock/advance", { ms });
    else await new Promise((r) => setTimeout(r, ms));
  }

  #check(operationId: string | null, method: string, path: string, status: number, headers: Record<string, string>, body: unknown): void {
    if (operationId) {
      record({ type: "observe", operationId, status });
      const check = validators.checkResponse(operationId, status, headers, body);
      if (!check.ok) throw new ContractViolation(`${operationId} (${method} ${path}) answered ${status}: ${check.errors.join("; ")}`);
      return;
    }
    const v = validators.schemaAt("/components/schemas/Error");
    if (status < 400 || !v(body)) throw new ContractViolation(`${method} ${path} (no such operation) answered ${status} without the documented error shape: ${JSON.stringify(body).slice(0, 200)}`);
  }
}

/** The mock's control API (mock-only tests); balances it sets are read back into the money ledger. */
export async function mockControl(cfg: ContractConfig, method: string, path: string, body?: unknown): Promise<any> {
  const out = await rawControl(cfg, method, path, body);
  await noteControl(cfg, method, path);
  return out;
}

/** A plain GET outside the API (a result image), recorded like every other exchange. */
export async function fetchRecorded(url: string): Promise<{ status: number; headers: Record<string, string>; bytes: number }> {
  const startedMs = wallNow();
  const res = await fetch(url);
  const buf = Buffer.from(await res.arrayBuffer());
  const headers = Object.fromEntries(res.headers.entries());
  const isText = /json|text/.test(headers["content-type"] ?? "");
  recordExchange({
    kind: "fetch", operationId: null, startedMs, durationMs: wallNow() - startedMs, method: "GET", url, requestHeaders: {}, requestBody: undefined,
    status: res.status, responseHeaders: headers, responseBody: isText ? buf.toString("utf8") : { binaryBytes: buf.length },
  });
  return { status: res.status, headers, bytes: buf.length };
}

/** What a 202 cost: its credits_used, or the catalog price when the answer does not say. */
function chargeOf(text: string, kind: JobKind, requestBody: string | undefined): number {
  try {
    const used = JSON.parse(text).credits_used;
    if (typeof used === "number") return used;
  } catch { /* checked (and failed) by the schema check */ }
  return priceOf(kind, (parseSmall(requestBody) as { model_id?: unknown } | undefined)?.model_id) ?? 0;
}

/** The request body as JSON when it is small enough to be worth parsing (a 33 MiB probe is not). */
function parseSmall(raw: string | undefined): unknown {
  if (raw === undefined || raw.length > 1_000_000) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
