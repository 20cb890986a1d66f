import { expect } from "vitest";
import { createMockServer, type MockServer } from "../../src/server.js";
import type { MockOptions } from "../../src/options.js";
import { sharedValidators } from "../../src/spec/validators.js";

export interface Reply<T = any> {
  status: number;
  headers: Record<string, string>;
  body: T;
  text: string;
  operationId: string | null;
}

export interface RequestOptions {
  key?: string | null;
  headers?: Record<string, string>;
  /** JSON-encoded unless `raw` is given. */
  body?: unknown;
  raw?: string | Buffer;
  /** Skip the spec check, for the few requests that leave the public API (CDN). */
  unchecked?: boolean;
}

const validators = sharedValidators();

/** Which spec operation a request targets, or null for unknown paths and methods. */
export function operationFor(method: string, apiPath: string): string | null {
  const m = method.toLowerCase() === "head" ? "get" : method.toLowerCase();
  return validators.operationsOnPath(apiPath).find((o) => o.method === m)?.operationId ?? null;
}

/**
 * The one way tests talk to the public API: real HTTP, and every response is
 * checked against openapi.yaml (status documented, headers, body schema).
 */
export class TestClient {
  constructor(readonly server: MockServer, readonly key: string = "ae_test_defaultkey01") {}

  async request<T = any>(method: string, pathOrUrl: string, opts: RequestOptions = {}): Promise<Reply<T>> {
    const url = pathOrUrl.startsWith("http") ? new URL(pathOrUrl) : new URL(this.server.baseUrl + pathOrUrl);
    const headers: Record<string, string> = { ...opts.headers };
    const key = opts.key === undefined ? this.key : opts.key;
    if (key !== null && headers.Authorization === undefined) headers.Authorization = `Bearer ${key}`;
    let body: string | Buffer | undefined = opts.raw;
    if (body === undefined && opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["Content-Type"] ??= "application/json";
    }
    const res = await fetch(url, { method, headers, body: body as BodyInit | undefined });
    const text = await res.text();
    const resHeaders = Object.fromEntries(res.headers.entries());
    let parsed: unknown = text;
    if ((resHeaders["content-type"] ?? "").includes("json")) parsed = JSON.parse(text);
    const apiPath = url.pathname.replace(/^\/api\/v1/, "");
    const operationId = url.pathname.startsWith("/api/v1") ? operationFor(method, apiPath) : null;
    if (!opts.unchecked) assertMatchesSpec(operationId, res.status, resHeaders, parsed);
    return { status: res.status, headers: resHeaders, body: parsed as T, text, operationId };
  }

  get<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>("GET", path, opts);
  }

  post<T = any>(path: string, body: unknown, opts: RequestOptions = {}) {
    return this.request<T>("POST", path, { ...opts, body });
  }

  /** Polls a job's poll_url exactly as given. */
  poll<T = any>(pollUrl: string, opts?: RequestOptions) {
    return this.request<T>("GET", pollUrl, opts);
  }
}

/** Responses to known operations must match that operation; anything else must be the documented error shape. */
export function assertMatchesSpec(operationId: string | null, status: number, headers: Record<string, string>, body: unknown): void {
  if (operationId) {
    const check = validators.checkResponse(operationId, status, headers, body);
    expect(check.errors, `${operationId} ${status} ${JSON.stringify(body).slice(0, 300)}`).toEqual([]);
  } else {
    const v = validators.schemaAt("/components/schemas/Error");
    expect(v(body), `error shape for ${status}: ${JSON.stringify(body).slice(0, 300)}`).toBe(true);
  }
}

/** A fresh server (port 0) and a checked client; close it in afterEach/afterAll. */
export async function startMock(options: Partial<MockOptions> = {}, key?: string): Promise<{ server: MockServer; api: TestClient }> {
  const server = await createMockServer(options);
  return { server, api: new TestClient(server, key) };
}

/** Control API calls, over real HTTP. */
export async function control(server: MockServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.origin}/__mock${path}`, {
    method,
    headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: text ? JSON.parse(text) : null };
}

export const TRYON_BODY = {
  person_image_url: "https://example.com/person.jpg",
  garment_image_url: "https://example.com/tshirt.jpg",
  garment_type: "top",
} as const;
