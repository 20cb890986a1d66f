import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { ApiError } from "../domain/errors.js";

/** A complete HTTP/1.1 error response with a `{ error, code }` body, for sockets Express never sees. */
function rawErrorResponse(err: ApiError): string {
  const body = JSON.stringify(err.toBody());
  const reason = STATUS_CODES[err.status] ?? "Error";
  return `HTTP/1.1 ${err.status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** Writes the answer and closes; a peer that never closes its side is cut after a moment. */
function answerAndClose(socket: Duplex, err: ApiError): void {
  socket.on("error", () => socket.destroy());
  socket.end(rawErrorResponse(err));
  const cut = setTimeout(() => socket.destroy(), 2_000);
  cut.unref();
  socket.once("close", () => clearTimeout(cut));
}

const CLIENT_ERROR_MESSAGES: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "Request headers too large.",
  HPE_CHUNK_EXTENSIONS_OVERFLOW: "Chunk extensions too large.",
  ERR_HTTP_REQUEST_TIMEOUT: "Request timed out before it was complete.",
};

/**
 * Requests Node's HTTP parser rejects before Express runs (bytes not allowed
 * in a header, unknown methods, malformed chunking, oversized headers, CONNECT,
 * an Expect other than 100-continue) get the same `{ error, code }` 400 as any
 * other bad input, instead of Node's bare status line or a dropped socket.
 */
export function guardClientErrors(server: Server): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's default: answer only if nothing of an in-flight response was written yet.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (err.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const message = CLIENT_ERROR_MESSAGES[err.code ?? ""] ?? `Malformed HTTP request (${err.code ?? "parse error"}).`;
    answerAndClose(socket, new ApiError("INVALID_REQUEST", message));
  });
  server.on("connect", (_req: IncomingMessage, socket: Duplex) => {
    answerAndClose(socket, new ApiError("INVALID_REQUEST", "CONNECT is not supported."));
  });
  server.on("checkExpectation", (_req: IncomingMessage, res: ServerResponse) => {
    const err = new ApiError("INVALID_REQUEST", "Unsupported Expect header: only 100-continue is supported.");
    const body = JSON.stringify(err.toBody());
    res.writeHead(err.status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body), Connection: "close" }).end(body);
  });
}
