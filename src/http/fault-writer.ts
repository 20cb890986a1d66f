import type { ServerResponse } from "node:http";
import { faultHeaderValue } from "../domain/faults.js";
import type { Injection } from "../faults/engine.js";

export const FAULT_RESPONSE_HEADER = "X-Mock-Fault";

/** How the answer ended, for the journal: sent (maybe late, slow or garbled), lost after processing, or nothing at all. */
export type Delivered = "sent" | "lost" | "none";

export interface FaultedAnswer {
  res: ServerResponse;
  inj: Injection;
  status: number;
  /** Content-Type and the like; Content-Length and X-Mock-Fault are added here. */
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  /** Called once: when the answer is out, or cut (before the cut, for lost_response). */
  record: (how: Delivered) => void;
}

/** Ends the connection without a byte: an RST (reset) or a clean FIN (empty_reply). */
export function cutConnection(res: ServerResponse, how: "reset" | "empty_reply"): void {
  const socket = res.socket;
  if (!socket || socket.destroyed) return;
  if (how === "reset") socket.resetAndDestroy();
  // FIN once nothing is pending, then close: the peer reads a clean end of stream.
  else socket.destroySoon();
}

/**
 * Writes one answer through a transport fault (or, for a scenario chaos
 * picked, with just the X-Mock-Fault header). Used by the public API and
 * /cdn alike, so every phase breaks the same way.
 */
export function writeFaulted(a: FaultedAnswer): void {
  const { res, inj } = a;
  const head = res.req.method === "HEAD";
  let done = false;
  const record = (how: Delivered) => {
    if (done) return;
    done = true;
    a.record(how);
  };
  const headers = (length: number) => ({ ...a.headers, "Content-Length": length, [FAULT_RESPONSE_HEADER]: faultHeaderValue(inj.name, inj.params, inj.delayMs) });
  const sendWhole = (status: number, body: Buffer) => {
    if (res.destroyed) return record("none");
    res.once("finish", () => record("sent"));
    res.writeHead(status, headers(body.length));
    res.end(head ? undefined : body);
  };
  // A client that gives up while a fault holds its answer is still journaled.
  res.once("close", () => record(res.headersSent ? "sent" : "none"));

  switch (inj.name) {
    case "reset":
    case "empty_reply":
      record("none");
      return cutConnection(res, inj.name);
    case "lost_response":
      res.statusCode = a.status;
      record("lost");
      return cutConnection(res, "reset");
    case "latency": {
      const timer = setTimeout(() => sendWhole(a.status, a.body), inj.delayMs);
      res.once("close", () => clearTimeout(timer));
      return;
    }
    case "malformed_json": {
      const length = a.body.length;
      const keep = Math.max(0, Math.min(inj.params.bytes ?? Math.floor(length / 2), length - 1));
      return sendWhole(200, a.body.subarray(0, keep));
    }
    case "slow_body":
      return dribble(a, headers(a.body.length), head, record);
    default:
      return sendWhole(a.status, a.body);
  }
}

/** Headers at once, then the body in even pieces spread over `ms`, the last one at the end. */
function dribble(a: FaultedAnswer, headers: Record<string, string | number>, head: boolean, record: (how: Delivered) => void): void {
  const { res, body } = a;
  res.once("finish", () => record("sent"));
  res.writeHead(a.status, headers);
  if (head || body.length === 0) return void res.end();
  res.flushHeaders();
  const pieces = Math.max(1, Math.min(a.inj.params.chunks ?? 20, body.length));
  const step = (a.inj.params.ms ?? 10_000) / pieces;
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    const from = Math.floor((i * body.length) / pieces);
    const to = Math.floor(((i + 1) * body.length) / pieces);
    i += 1;
    if (i >= pieces) return void res.end(body.subarray(from, to));
    res.write(body.subarray(from, to));
    timer = setTimeout(next, step);
  };
  timer = setTimeout(next, step);
  res.once("close", () => clearTimeout(timer));
}
