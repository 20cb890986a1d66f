import type { ErrorRequestHandler, Request, Response } from "express";
import { ApiError, isApiError } from "../domain/errors.js";
import { sendError } from "./send.js";

/** body-parser's error types, mapped to the documented codes. */
function fromBodyParser(err: { type?: unknown; status?: unknown; message?: unknown }): ApiError | null {
  switch (err.type) {
    case "entity.parse.failed":
      return new ApiError("INVALID_REQUEST", "Invalid JSON body.");
    case "entity.too.large":
      return new ApiError("PAYLOAD_TOO_LARGE", "Request body too large.");
    case "encoding.unsupported":
    case "charset.unsupported":
      return new ApiError("INVALID_REQUEST", "Unsupported body encoding or charset. Send UTF-8 JSON.");
    case "request.size.invalid":
    case "request.aborted":
    case "stream.encoding.set":
      return new ApiError("INVALID_REQUEST", "Malformed request body.");
  }
  if (typeof err.status === "number" && err.status >= 400 && err.status < 500) return new ApiError("INVALID_REQUEST", "Malformed request.");
  return null;
}

/** The one place errors become `{ error, code }`. Anything unexpected is logged and answered as INTERNAL_ERROR, never a stack. */
export function errorMiddleware(log: (err: unknown, req: Request) => void, noted: (code: string, res: Response) => void = () => {}): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const api = isApiError(err) ? err : err && typeof err === "object" ? fromBodyParser(err) : null;
    noted(api?.code ?? "INTERNAL_ERROR", res);
    if (api) return sendError(res, api);
    log(err, req);
    if (!res.headersSent) sendError(res, new ApiError("INTERNAL_ERROR"));
    else res.destroy();
  };
}

