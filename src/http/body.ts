import type { IncomingMessage } from "node:http";
import { isUtf8 } from "node:buffer";
import { ApiError } from "../domain/errors.js";
import { NO_BASE64_CHECKED, PARSE_FAILED, parseJsonBody, type ParsedBody } from "./json-body.js";

export type BodyCallback = (err: ApiError | null, body: ParsedBody | null, raw: Buffer | null) => void;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;
const unsupported = () => new ApiError("INVALID_REQUEST", "Unsupported body encoding or charset. Send UTF-8 JSON.");
const malformed = () => new ApiError("INVALID_REQUEST", "Malformed request body.");

/** POST bodies must be declared JSON; anything else is INVALID_REQUEST before it is read. */
export function assertJsonContentType(req: IncomingMessage): void {
  const type = req.headers["content-type"];
  if (!type || !JSON_TYPE.test(type)) throw new ApiError("INVALID_REQUEST", "Content-Type must be application/json.");
  const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") throw unsupported();
  const encoding = req.headers["content-encoding"];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") throw unsupported();
}

/**
 * Reads a JSON body up to `limit` bytes. Over the limit it answers at once
 * and drains the rest (up to a cap) so the client can read the 413; the
 * connection is then closed. Invalid UTF-8 is refused, never replaced with
 * U+FFFD and accepted.
 */
export function readJsonBody(req: IncomingMessage, limit: number, done: BodyCallback): void {
  // Mounted in a user's app behind a body parser (express.json() and kin): the stream was read already.
  if (req.readableEnded || (req.complete && !req.readable)) {
    const body = (req as IncomingMessage & { body?: unknown }).body;
    if (typeof body !== "object" || body === null) return done(new ApiError("INVALID_REQUEST", "Request body was already read by another middleware: mount the mock before body parsers."), null, null);
    return done(null, { value: body, base64Checked: NO_BASE64_CHECKED }, Buffer.from(JSON.stringify(body)));
  }
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) return tooLarge(req, limit, done);
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (err: ApiError | null, body: ParsedBody | null, raw: Buffer | null = null) => {
    if (finished) return;
    finished = true;
    req.off("data", onData);
    done(err, body, raw);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      finished = true;
      req.off("data", onData);
      chunks.length = 0;
      return tooLarge(req, limit, done);
    }
    chunks.push(chunk);
  };
  req.on("data", onData);
  req.once("end", () => {
    if (finished) return;
    const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    if (!isUtf8(buf)) return finish(new ApiError("INVALID_REQUEST", "Request body is not valid UTF-8. Send UTF-8 JSON."), null);
    const parsed = parseJsonBody(buf);
    if (parsed === PARSE_FAILED) return finish(new ApiError("INVALID_REQUEST", "Invalid JSON body."), null);
    finish(null, parsed, buf);
  });
  req.once("aborted", () => finish(malformed(), null));
  req.once("error", () => finish(malformed(), null));
}

/** Answers 413 and drains what is still coming (at most 4 × the limit), then lets the connection close. */
function tooLarge(req: IncomingMessage, limit: number, done: BodyCallback): void {
  let drained = 0;
  req.on("data", (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > 4 * limit) req.destroy();
  });
  req.resume();
  done(new ApiError("PAYLOAD_TOO_LARGE", "Request body too large."), null, null);
}
