import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhook, type VerifyResult } from "./signature.js";

export interface ReceivedDelivery {
  method: string;
  path: string;
  /** Lower-case keys, as Node parses them. */
  headers: Record<string, string | string[]>;
  rawBody: string;
  /** Parsed JSON, or null when the body is not JSON. */
  body: unknown;
  receivedAt: number;
  /** null when the receiver was created without a secret. */
  verification: VerifyResult | null;
}

export type ResponderResult = { status: number; headers?: Record<string, string>; body?: string } | "hang" | "destroy";
export type Responder = (d: ReceivedDelivery) => ResponderResult | Promise<ResponderResult>;

export interface WebhookReceiverOptions {
  secret?: string;
  respond?: Responder;
  toleranceSeconds?: number;
}

export interface WebhookReceiver {
  url: string;
  deliveries: ReceivedDelivery[];
  waitFor(predicate?: (d: ReceivedDelivery) => boolean, timeoutMs?: number): Promise<ReceivedDelivery>;
  close(): Promise<void>;
}

interface Waiter {
  predicate: (d: ReceivedDelivery) => boolean;
  resolve: (d: ReceivedDelivery) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const defaultResponder: Responder = () => ({
  status: 200,
  headers: { "content-type": "application/json" },
  body: '{"ok":true}',
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export async function createWebhookReceiver(opts: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const respond = opts.respond ?? defaultResponder;
  const deliveries: ReceivedDelivery[] = [];
  let waiters: Waiter[] = [];

  // A throwing predicate rejects only its own waiter instead of breaking the request handler.
  const settle = (w: Waiter, d: ReceivedDelivery): boolean => {
    try {
      if (!w.predicate(d)) return false;
      w.resolve(d);
    } catch (err) {
      w.reject(err instanceof Error ? err : new Error(String(err)));
    }
    clearTimeout(w.timer);
    return true;
  };

  const record = (req: IncomingMessage, raw: Buffer): ReceivedDelivery => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v;
    const rawBody = raw.toString("utf8");
    const d: ReceivedDelivery = {
      method: req.method ?? "",
      path: req.url ?? "/",
      headers,
      rawBody,
      body: parseJson(rawBody),
      receivedAt: Date.now(),
      verification:
        opts.secret === undefined
          ? null
          : verifyWebhook(raw, req.headers, opts.secret, { toleranceSeconds: opts.toleranceSeconds }),
    };
    deliveries.push(d);
    waiters = waiters.filter((w) => !settle(w, d));
    return d;
  };

  const reply = async (req: IncomingMessage, res: ServerResponse, d: ReceivedDelivery): Promise<void> => {
    let result: ResponderResult;
    try {
      result = await respond(d);
    } catch (err) {
      result = { status: 500, body: `responder threw: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (result === "hang") return; // closeAllConnections() in close() cleans it up
    if (result === "destroy") {
      req.socket.destroy();
      return;
    }
    res.writeHead(result.status, result.headers);
    res.end(result.body ?? "");
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => req.socket.destroy());
    req.on("end", () => {
      const d = record(req, Buffer.concat(chunks));
      void reply(req, res, d);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}/webhook`,
    deliveries,
    waitFor(predicate = () => true, timeoutMs = 5000) {
      return new Promise<ReceivedDelivery>((resolve, reject) => {
        const w: Waiter = {
          predicate,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters = waiters.filter((x) => x !== w);
            reject(
              new Error(`webhook receiver: no matching delivery within ${timeoutMs} ms (${deliveries.length} received)`),
            );
          }, timeoutMs),
        };
        if (deliveries.some((d) => settle(w, d))) return;
        if (closing) {
          clearTimeout(w.timer);
          reject(new Error("webhook receiver: closed"));
          return;
        }
        waiters.push(w);
      });
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const w of waiters) {
          clearTimeout(w.timer);
          w.reject(new Error("webhook receiver: closed before a matching delivery arrived"));
        }
        waiters = [];
        server.close((err) => (err ? reject(err) : resolve()));
        // Without this, a "hang" responder or a keep-alive socket would keep close() pending forever.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
