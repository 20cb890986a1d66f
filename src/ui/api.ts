/** The dashboard's only way out: JSON calls to /__mock, with the admin token when one was given. */

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /** A 404 from the control router's fallback: the running mock predates this endpoint. */
  get missingRoute(): boolean {
    return this.status === 404 && this.message.startsWith("No control route");
  }
}

const TOKEN_KEY = "artemotion-mock.admin-token";

export type Query = Record<string, string | number | boolean | null | undefined>;

export class Api {
  /** /__mock/, found from the page's own address so a path prefix in front of the mock still works. */
  readonly base: URL;
  #token: string | null;
  #onUnauthorized: () => void = () => {};

  constructor(pageUrl: string) {
    this.base = new URL("../", pageUrl);
    this.#token = sessionStorage.getItem(TOKEN_KEY);
  }

  get token(): string | null {
    return this.#token;
  }

  /** Kept for this tab's session, so the token is asked for once. */
  setToken(token: string | null): void {
    this.#token = token;
    if (token === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  }

  onUnauthorized(fn: () => void): void {
    this.#onUnauthorized = fn;
  }

  url(path: string, query: Query = {}): string {
    const u = new URL(path.replace(/^\//, ""), this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") u.searchParams.set(k, String(v));
    return u.toString();
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.#token === null ? extra : { ...extra, "X-Mock-Admin-Token": this.#token };
  }

  /** The raw response, for the event stream. A 401 clears the token and reports it. */
  async raw(path: string, init: RequestInit & { query?: Query } = {}): Promise<Response> {
    const res = await fetch(this.url(path, init.query), { ...init, headers: this.headers((init.headers as Record<string, string>) ?? {}), cache: "no-store" });
    if (res.status === 401) this.#unauthorized();
    return res;
  }

  async call<T>(method: string, path: string, opts: { query?: Query; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
    const init: RequestInit = { method, signal: opts.signal ?? null };
    if (opts.body !== undefined) {
      init.body = JSON.stringify(opts.body);
      init.headers = { "Content-Type": "application/json" };
    }
    const res = await this.raw(path, { ...init, query: opts.query ?? {} });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      throw new HttpError(res.status, "BAD_RESPONSE", `Not JSON from ${method} ${path} (HTTP ${res.status}).`);
    }
    if (!res.ok) {
      const e = (body ?? {}) as { error?: string; code?: string };
      throw new HttpError(res.status, e.code ?? "HTTP_" + res.status, e.error ?? `HTTP ${res.status}`);
    }
    return body as T;
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.call<T>("GET", path, { query: query ?? {}, ...(signal ? { signal } : {}) });
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>("POST", path, { body: body ?? {} });
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>("PUT", path, { body });
  }
  del<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>("DELETE", path, body === undefined ? {} : { body });
  }

  #unauthorized(): void {
    this.setToken(null);
    this.#onUnauthorized();
  }
}

export const errorText = (e: unknown): string => (e instanceof HttpError ? `${e.message} (${e.code})` : e instanceof Error ? e.message : String(e));
