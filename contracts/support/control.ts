import { originOf, type ContractConfig } from "./config.js";
import { recordExchange, wallNow } from "./recorder.js";

/**
 * One call to the mock's control API (mock-only tests, exact money), recorded
 * like every other exchange so a replay can drive a mock the same way.
 */
export async function rawControl(cfg: ContractConfig, method: string, path: string, body?: unknown): Promise<any> {
  const url = `${originOf(cfg.baseUrl)}/__mock${path}`;
  const headers: Record<string, string> = body === undefined ? {} : { "Content-Type": "application/json" };
  const sent = body === undefined ? undefined : JSON.stringify(body);
  const startedMs = wallNow();
  const res = await fetch(url, { method, headers, body: sent });
  const text = await res.text();
  recordExchange({
    kind: "control", operationId: null, startedMs, durationMs: wallNow() - startedMs, method, url, requestHeaders: headers, requestBody: sent,
    status: res.status, responseHeaders: Object.fromEntries(res.headers.entries()), responseBody: text,
  });
  if (!res.ok) throw new Error(`control ${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}
