import type { RequestHandler } from "express";
import type { StreamEvent } from "../events/types.js";
import { EVENT_KINDS } from "../events/types.js";
import { toWire } from "../events/wire.js";
import type { MockRuntime } from "../runtime.js";
import { maskSecrets } from "./mask.js";

/** A slow reader that falls this far behind is cut; it reconnects with Last-Event-ID. */
const MAX_BUFFERED = 1 << 20;

/**
 * GET /__mock/events: the event stream as Server-Sent Events, one stream for
 * everything (browsers allow 6 connections per origin). Each event carries
 * its id; Last-Event-ID replays what was missed while it is retained.
 * `?kinds=request,job` narrows it.
 */
export function sseHandler(rt: MockRuntime): RequestHandler {
  return async (req, res) => {
    const wanted = typeof req.query.kinds === "string" ? new Set(req.query.kinds.split(",").filter((k) => (EVENT_KINDS as readonly string[]).includes(k))) : null;
    const last = req.headers["last-event-id"];
    res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache, no-transform", Connection: "keep-alive", "X-Accel-Buffering": "no" });
    // A HEAD gets the headers and nothing else: Node drops a HEAD's writes, so a held stream would hold the connection.
    if (req.method === "HEAD") return void res.end();
    res.write("retry: 2000\n\n");
    const seen = new Set<string>();
    let replaying = true;
    const queued: StreamEvent[] = [];
    let open = true;
    const write = (e: StreamEvent) => {
      if (!open || (wanted && !wanted.has(e.kind)) || seen.has(e.id)) return;
      const wire = maskSecrets(toWire(e)) as { id: string };
      res.write(`id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(wire)}\n\n`);
      // Cut, not ended: an end would wait behind the same backlog, and the reader resumes with Last-Event-ID.
      if (res.writableLength > MAX_BUFFERED) {
        stop();
        res.destroy();
      }
    };
    // Subscribe before replaying, so nothing published in between is lost.
    const unsubscribe = rt.store.events.subscribe((e) => (replaying ? queued.push(e) : write(e)));
    const heartbeat = setInterval(() => open && res.write(": heartbeat\n\n"), rt.options.sseHeartbeatMs);
    heartbeat.unref();
    function stop() {
      if (!open) return;
      open = false;
      clearInterval(heartbeat);
      unsubscribe();
    }
    req.on("close", stop);
    res.on("close", stop);
    if (typeof last === "string" && last !== "") {
      for (const e of await rt.store.events.since(last)) {
        write(e);
        seen.add(e.id);
      }
    }
    replaying = false;
    for (const e of queued) write(e);
    seen.clear();
  };
}
