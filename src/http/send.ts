import type { ServerResponse } from "node:http";
import type { ApiError } from "../domain/errors.js";
import { maskKeysIn } from "../domain/keys.js";

export const JSON_TYPE = "application/json; charset=utf-8";

/**
 * Writes a JSON answer directly with one writeHead: no content negotiation,
 * no per-request header objects beyond the length. HEAD gets the headers only.
 */
export function sendJsonText(res: ServerResponse, status: number, text: string, headers?: Readonly<Record<string, string>>): void {
  const length = Buffer.byteLength(text);
  res.writeHead(status, headers === undefined ? { "Content-Type": JSON_TYPE, "Content-Length": length } : { ...headers, "Content-Type": JSON_TYPE, "Content-Length": length });
  res.end(res.req.method === "HEAD" ? undefined : text);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Readonly<Record<string, string>>): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** A body fixed at start-up (the catalogs), already encoded. */
export function sendJsonBuffer(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { "Content-Type": JSON_TYPE, "Content-Length": body.length });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** The one error writer. A message that echoes a request's path or a value shows any API key in it masked. */
export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) return;
  const body = err.toBody();
  sendJson(res, err.status, { ...body, error: maskKeysIn(body.error) }, err.headers);
}
