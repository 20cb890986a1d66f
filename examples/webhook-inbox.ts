/**
 * A webhook receiver for the resilient client: verifies each delivery's
 * signature against the raw bytes, ignores duplicates (the same job and
 * status twice), and files events under the `ref` the client put in the
 * webhook_url, so a submit whose answer was lost can still find its job.
 * Only node built-ins; listens on 127.0.0.1.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface InboxEvent {
  request_id: string;
  model_id: string;
  status: "completed" | "failed";
  result: unknown;
}

const TOLERANCE_S = 300;

/** `v1=<hex HMAC-SHA256 of "${timestamp}.${rawBody}">`, compared in constant time, within 5 minutes. */
export function verifySignature(raw: Buffer, timestamp: string | undefined, signature: string | undefined, secret: string, nowS = Date.now() / 1000): boolean {
  if (!timestamp || !signature?.startsWith("v1=") || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowS - Number(timestamp)) > TOLERANCE_S) return false;
  const want = Buffer.from(createHmac("sha256", secret).update(`${timestamp}.`).update(raw).digest("hex"));
  const got = Buffer.from(signature.slice(3));
  return got.length === want.length && timingSafeEqual(got, want);
}

export class WebhookInbox {
  /** Deliveries refused for a bad signature, and duplicates ignored. */
  rejected = 0;
  duplicates = 0;
  #byRef = new Map<string, InboxEvent[]>();
  #seen = new Set<string>();
  #waiters = new Map<string, ((e: InboxEvent) => void)[]>();

  private constructor(
    private readonly server: Server,
    readonly secret: string,
    readonly origin: string,
  ) {}

  static async start(secret: string): Promise<WebhookInbox> {
    let inbox: WebhookInbox | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const status = inbox!.receive(new URL(req.url ?? "/", "http://inbox").searchParams.get("ref"), Buffer.concat(chunks), req.headers);
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    inbox = new WebhookInbox(server, secret, `http://127.0.0.1:${port}`);
    return inbox;
  }

  /** The webhook_url for one logical request. */
  urlFor(ref: string): string {
    return `${this.origin}/hooks/artemotion?ref=${encodeURIComponent(ref)}`;
  }

  /** Events filed under `ref`, oldest first (one per job: duplicates were ignored). */
  eventsFor(ref: string): InboxEvent[] {
    return this.#byRef.get(ref) ?? [];
  }

  /** Resolves with the first event for `ref`, or null after `ms`. */
  waitFor(ref: string, ms: number): Promise<InboxEvent | null> {
    const known = this.eventsFor(ref)[0];
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const list = this.#waiters.get(ref) ?? [];
        this.#waiters.set(ref, list.filter((w) => w !== done));
        resolve(null);
      }, ms);
      const done = (e: InboxEvent) => {
        clearTimeout(timer);
        resolve(e);
      };
      this.#waiters.set(ref, [...(this.#waiters.get(ref) ?? []), done]);
    });
  }

  receive(ref: string | null, raw: Buffer, headers: Record<string, string | string[] | undefined>): number {
    const one = (h: string | string[] | undefined) => (typeof h === "string" ? h : undefined);
    if (!verifySignature(raw, one(headers["x-artemotion-timestamp"]), one(headers["x-artemotion-signature"]), this.secret)) {
      this.rejected++;
      return 400;
    }
    let event: InboxEvent;
    try {
      event = JSON.parse(raw.toString("utf8")) as InboxEvent;
    } catch {
      return 400;
    }
    // Idempotent: a job's terminal event counts once however often it arrives.
    const id = `${event.request_id}:${event.status}`;
    if (this.#seen.has(id)) {
      this.duplicates++;
      return 200;
    }
    this.#seen.add(id);
    if (ref !== null) {
      this.#byRef.set(ref, [...this.eventsFor(ref), event]);
      for (const w of this.#waiters.get(ref) ?? []) w(event);
      this.#waiters.delete(ref);
    }
    return 200;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
