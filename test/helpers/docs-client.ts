import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhook } from "../../src/webhooks/signature.js";
import type { WallScheduler } from "./wall-scheduler.js";

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export class ApiRefusal extends Error {
  constructor(readonly answer: Answer) {
    super(`[${answer.body?.code}] ${answer.body?.error}`);
  }
}

/**
 * A client written the way the docs' examples are: it polls poll_url as
 * given every 3 s (×1.2, at most 10 s), backs off on errors, honours
 * Retry-After, never retries a 4xx, downloads results, and verifies webhook
 * signatures over the raw body. Its waits run on a WallScheduler.
 */
export class DocsClient {
  readonly seen: string[] = [];

  constructor(
    readonly baseUrl: string,
    readonly key: string,
    readonly clock: WallScheduler,
  ) {}

  async #fetch(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${this.key}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    this.seen.push(`${method} ${new URL(url).pathname} → ${res.status}`);
    return { status: res.status, headers: res.headers, body: text.startsWith("{") ? JSON.parse(text) : text };
  }

  /** Submits once; retries only a 429 (after Retry-After) or a 5xx (exponential backoff with jitter). */
  async submit(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ job_id: string; poll_url: string }> {
    let backoff = 2000;
    for (let attempt = 0; attempt < 6; attempt++) {
      const r = await this.#fetch("POST", this.baseUrl + path, body, headers);
      if (r.status === 202) return r.body;
      if (r.status === 429) await this.clock.sleep(Number(r.headers.get("retry-after") ?? 60) * 1000);
      else if (r.status >= 500) {
        await this.clock.sleep(backoff + Math.floor(Math.random() * 500));
        backoff *= 2;
      } else throw new ApiRefusal(r);
    }
    throw new Error("submit: gave up");
  }

  /** The docs' Polling Pattern, with backoff on errors and Retry-After honoured. */
  async poll(pollUrl: string, first = 3000, grow = 1.2): Promise<any> {
    let delay = first;
    for (let polls = 0; polls < 200; polls++) {
      await this.clock.sleep(delay);
      const r = await this.#fetch("GET", pollUrl);
      if (r.status === 429) {
        delay = Math.max(delay, Number(r.headers.get("retry-after") ?? 60) * 1000);
        continue;
      }
      if (r.status >= 500) {
        delay = Math.min(delay * 2, 30_000);
        continue;
      }
      if (r.status !== 200) throw new ApiRefusal(r);
      if (r.body.status === "completed" || r.body.status === "failed") return r.body;
      delay = Math.min(delay * grow, 10_000);
    }
    throw new Error("poll: never finished");
  }

  /** Downloads a result into "our own storage" (here: its size). */
  async download(url: string): Promise<number> {
    const res = await fetch(url);
    if (res.status !== 200) throw new Error(`download ${url}: ${res.status}`);
    return (await res.arrayBuffer()).byteLength;
  }

  /** Submit, poll to the end, download every result image. */
  async run(path: string, body: unknown, headers: Record<string, string> = {}): Promise<any> {
    const job = await this.submit(path, body, headers);
    const done = await this.poll(job.poll_url);
    if (done.status === "completed") {
      for (const url of done.images ?? []) await this.download(url);
      if (done.result?.annotated_image) await this.download(done.result.annotated_image);
    }
    return done;
  }
}

/**
 * A webhook endpoint as the docs describe it: raw body, signature and 5-minute
 * window checked (against the scheduler's clock), 204 when valid, 400 otherwise.
 */
export async function verifyingReceiver(secret: string, clock: WallScheduler, onEvent: (event: any) => Promise<void> | void) {
  const accepted: any[] = [];
  const rejected: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks);
      const check = verifyWebhook(raw, req.headers, secret, { now: Math.floor(clock.now / 1000) });
      if (!check.ok) {
        rejected.push(check.reason);
        res.writeHead(400).end(check.reason);
        return;
      }
      const event = JSON.parse(raw.toString("utf8"));
      accepted.push(event);
      res.writeHead(204).end();
      await onEvent(event);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/artemotion`;
  return { url, accepted, rejected, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}
