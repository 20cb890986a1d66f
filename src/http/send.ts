import type { ServerResponse } from "node:http";
import type { ApiError } from "../domain/errors.js";

const TYPE = "Content-Type";
export const JSON_TYPE = "application/json; charset=utf-8";

/**
 * Writes a JSON answer directly with one writeHead: no content negotiation,
 * no per-request header objects beyond the length. HEAD gets the headers only.
 */
export function sendJsonText(res: ServerResponse, status: number, text: string, headers?: Readonly<Record<string, string>>): void {
  const length = Buffer.byteLength(text);
  res.writeHead(status, headers === undefined ? { [TYPE]: JSON_TYPE, "Content-Length": length } : { ...headers, [TYPE]: JSON_TYPE, "Content-Length": length });
  res.end(res.req.method === "HEAD" ? undefined : text);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Readonly<Record<string, string>>): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** A body fixed at start-up (the catalogs), already encoded. */
export function sendJsonBuffer(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { [TYPE]: JSON_TYPE, "Content-Length": body.length });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) return;
  sendJson(res, err.status, err.toBody(), err.headers);
}
