import http from "node:http";
import type { DeliveryRecord, DeliverySettlement } from "../domain/deliveries.js";
import { isRefusal, type WebhookDestinations } from "./destinations.js";

export interface PostOptions {
  timeoutMs: number;
  destinations: WebhookDestinations;
  /** Requests in flight, so shutdown can abort them. */
  requests: Set<http.ClientRequest>;
}

/** One webhook attempt, settled by its outcome; never rejects. */
export function postWebhook(record: DeliveryRecord, body: string, o: PostOptions): Promise<DeliverySettlement> {
  const started = performance.now();
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (outcome: DeliverySettlement["outcome"], status: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ outcome, responseStatus: status, error, durationMs: Math.round(performance.now() - started) });
    };
    let req: http.ClientRequest;
    try {
      const url = new URL(record.url);
      // node:https (TLS) loads on the first https delivery, not at every start.
      const client = url.protocol === "https:" ? (process.getBuiltinModule("node:https") as typeof import("node:https")) : http;
      const destination = o.destinations.requestOptions(url);
      if ("refused" in destination) return settle("refused", null, destination.refused);
      req = client.request(url, { method: "POST", headers: { ...record.requestHeaders, "Content-Length": String(Buffer.byteLength(body)) }, ...destination.options });
    } catch (e) {
      settle("connection_error", null, (e as Error).message);
      return;
    }
    o.requests.add(req);
    // A deadline for the whole attempt (connect to response headers), not a socket idle
    // timeout: a receiver trickling bytes must not hold a delivery open past it.
    timer = setTimeout(() => {
      settle("timeout", null, `no response within ${o.timeoutMs} ms`);
      req.destroy();
    }, o.timeoutMs);
    req.on("response", (res) => {
      const s = res.statusCode ?? 0;
      settle(s >= 200 && s < 300 ? "delivered" : s >= 300 && s < 400 ? "redirect" : "http_error", s, null);
      res.resume();
    });
    req.on("error", (e) => settle(isRefusal(e) ? "refused" : "connection_error", null, e.message));
    req.on("close", () => {
      o.requests.delete(req);
      settle("connection_error", null, "socket closed before a response");
    });
    req.end(body);
  });
}
