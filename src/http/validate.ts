import { isUtf8 } from "node:buffer";
import type { IncomingHttpHeaders } from "node:http";
import type { ErrorObject, ValidateFunction } from "ajv";
import type { NextFunction, Request, Response } from "express";
import { ApiError } from "../domain/errors.js";

const fieldOf = (e: ErrorObject) => e.instancePath.split("/").filter(Boolean).join(".");

/** Turns the first ajv error into the documented INVALID_REQUEST message style. */
export function toApiError(e: ErrorObject, where: "body" | "query"): ApiError {
  const field = fieldOf(e);
  const noun = where === "query" ? "query parameter" : "field";
  const p = e.params as Record<string, unknown>;
  if (e.keyword === "required") return new ApiError("INVALID_REQUEST", `Missing required ${noun} "${p.missingProperty as string}".`);
  if (field === "") return new ApiError("INVALID_REQUEST", where === "body" ? "Request body must be a JSON object." : "Invalid query string.");
  if (e.keyword === "minLength" && p.limit === 1) return new ApiError("INVALID_REQUEST", `Missing required ${noun} "${field}" (it is empty).`);
  if (e.keyword === "type") return new ApiError("INVALID_REQUEST", `Invalid ${noun} "${field}": must be ${p.type as string}.`);
  if (e.keyword === "enum") {
    const allowed = (p.allowedValues as unknown[]).join(", ");
    return new ApiError("INVALID_REQUEST", `Invalid ${noun} "${field}". Must be one of: ${allowed}.`);
  }
  if (e.keyword === "format") return new ApiError("INVALID_REQUEST", `Invalid ${noun} "${field}": must be a valid ${p.format as string}.`);
  return new ApiError("INVALID_REQUEST", `Invalid ${noun} "${field}": ${e.message ?? "is not valid"}.`);
}

export function validateWith(fn: ValidateFunction, value: unknown, where: "body" | "query"): void {
  if (!fn(value)) throw toApiError(fn.errors![0]!, where);
}

/** POST bodies must be declared JSON; anything else is INVALID_REQUEST before it is parsed. */
export function assertJsonContentType(req: { headers: IncomingHttpHeaders }): void {
  const type = req.headers["content-type"];
  if (!type || !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new ApiError("INVALID_REQUEST", "Content-Type must be application/json.");
  }
}

export function requireJson(req: Request, _res: Response, next: NextFunction): void {
  assertJsonContentType(req);
  next();
}

/**
 * express.json's `verify` hook: JSON is UTF-8 (RFC 8259), so a body with bytes
 * that are not is INVALID_REQUEST instead of being decoded with U+FFFD
 * replacements and possibly accepted.
 */
export function rejectInvalidUtf8(_req: unknown, _res: unknown, buf: Buffer): void {
  if (!isUtf8(buf)) throw new ApiError("INVALID_REQUEST", "Request body is not valid UTF-8. Send UTF-8 JSON.");
}
