import http from "node:http";
import type { AddressInfo } from "node:net";
import { signWebhook } from "../../src/webhooks/signature.js";

export interface Exchange {
  method: string;
  /** Path with query, as the client sent it. */
  url: string;
  status: number;
  headers: Record<string, string>;
  body: any;
}

/** A request on its way to the real mock; a drift may rewrite its headers. */
export interface OutgoingRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** A webhook delivery on its way to the receiver: headers and the raw body, as sent. */
export interface OutgoingWebhook {
  headers: Record<string, string>;
  raw: string;
}

/** A deliberate drift: rewrites one answer of the real mock, a request, or its webhooks. */
export interface Drift {
  name: string;
  response?: (x: Exchange) => void;
  request?: (r: OutgoingRequest) => void;
  webhook?: (w: OutgoingWebhook) => void;
  tamperWebhookSignature?: boolean;
  /** Answer 404 on /__mock, so the target looks like the live API. */
  hideControl?: boolean;
}

const HOP = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

/** Several drifts at once (each aimed at a different test). */
export function combine(name: string, drifts: Drift[]): Drift {
  return {
    name,
    response: (x) => drifts.forEach((d) => d.response?.(x)),
    request: (r) => drifts.forEach((d) => d.request?.(r)),
    webhook: (w) => drifts.forEach((d) => d.webhook?.(w)),
    tamperWebhookSignature: drifts.some((d) => d.tamperWebhookSignature),
    hideControl: drifts.some((d) => d.hideControl),
  };
}

/**
 * An HTTP proxy in front of a real mock that injects one drift, so a test can
 * show the contract suite notices it. Webhook URLs in submits are pointed at
 * the proxy, which forwards deliveries (tampered or not) to the real receiver.
 */
export async function startDriftProxy(upstream: string, drift: Drift): Promise<{ url: string; close: () => Promise<void> }> {
  let self = "";
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let raw = Buffer.concat(chunks).toString("utf8");
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP.has(k) && k !== "host")) as Record<string, string>;
    if (req.url!.startsWith("/__drift_forward/")) return forward(req.url!, raw, headers, res, drift);
    if (drift.hideControl && req.url!.startsWith("/__mock")) return void res.writeHead(404, { "Content-Type": "application/json" }).end('{"error":"Not found.","code":"NOT_FOUND"}');
    if (req.method === "POST" && raw.includes('"webhook_url"')) {
      try {
        const body = JSON.parse(raw);
        body.webhook_url = `${self}/__drift_forward/${encodeURIComponent(body.webhook_url)}`;
        raw = JSON.stringify(body);
      } catch { /* not JSON: pass through */ }
    }
    if (!req.url!.startsWith("/__mock")) drift.request?.({ method: req.method!, url: req.url!, headers });
    const up = await fetch(upstream + req.url, { method: req.method, headers, body: ["GET", "HEAD"].includes(req.method!) ? undefined : raw });
    const text = await up.text();
    const x: Exchange = { method: req.method!, url: req.url!, status: up.status, headers: Object.fromEntries([...up.headers.entries()].filter(([k]) => !HOP.has(k))), body: text };
    const isJson = (x.headers["content-type"] ?? "").includes("json");
    if (isJson && text) x.body = JSON.parse(text);
    // Rewrite origins so poll_url and result URLs keep pointing at the proxy.
    if (isJson && text) x.body = JSON.parse(JSON.stringify(x.body).split(upstream).join(self));
    if (!req.url!.startsWith("/__mock")) drift.response?.(x);
    res.writeHead(x.status, x.headers);
    res.end(isJson && typeof x.body !== "string" ? JSON.stringify(x.body) : x.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: self, close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

async function forward(url: string, raw: string, headers: Record<string, string>, res: http.ServerResponse, drift: Drift) {
  const target = decodeURIComponent(url.slice("/__drift_forward/".length));
  if (drift.tamperWebhookSignature) headers["x-artemotion-signature"] = signWebhook(raw, "not-the-secret", Number(headers["x-artemotion-timestamp"]));
  const w: OutgoingWebhook = { headers, raw };
  drift.webhook?.(w);
  const up = await fetch(target, { method: "POST", headers: w.headers, body: w.raw });
  res.writeHead(up.status).end(await up.text());
}
