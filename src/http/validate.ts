import type { ErrorObject } from "ajv";
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

/** A compiled validator: ajv's, or its standalone code generated from the spec. */
export interface Validator {
  (value: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export function validateWith(fn: Validator, value: unknown, where: "body" | "query"): void {
  if (!fn(value)) throw toApiError(fn.errors![0]!, where);
}

