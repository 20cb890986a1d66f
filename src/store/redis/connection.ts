import { createClient, ErrorReply, type RedisClientType } from "redis";
import { ApiError } from "../../domain/errors.js";
import type { StoreHealth } from "../types.js";
import type { Script } from "./scripts.js";
import { redactUrl } from "./url.js";

type Client = RedisClientType;
export type Reply = unknown;

/** Reconnect backoff while serving: 50 ms doubling to 1 s, with jitter, so a restarted Redis is back in use within about a second. */
export function backoff(retries: number): number {
  return Math.min(1000, 50 * 2 ** Math.min(retries, 5)) + Math.floor(Math.random() * 100);
}

/** Errors Redis itself answers while it cannot serve (loading its data, busy with a script, out of memory under noeviction). */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|READONLY|MISCONF|OOM|CLUSTERDOWN)\b/;

/**
 * One connection to Redis, as the store uses it: connect fails fast at start
 * (the CLI exits 2 naming the URL); once open it reconnects with backoff and
 * fails fast while disconnected (no offline queue), so a request gets 503
 * STORE_UNAVAILABLE at once instead of hanging.
 */
export class RedisConnection {
  readonly client: Client;
  readonly shownUrl: string;
  #opened = false;
  #lastError: string | null = null;

  constructor(url: string, name: string) {
    this.shownUrl = redactUrl(url);
    this.client = createClient({
      url,
      name,
      disableOfflineQueue: true,
      // No queue timeout per command: with no offline queue nothing waits to be written, and the
      // client's default (5 s) costs a timer signal on every command.
      commandOptions: { timeout: 0 },
      socket: {
        connectTimeout: 3000,
        reconnectStrategy: (retries, cause) => (this.#opened ? backoff(retries) : cause),
      },
    }) as Client;
    this.client.on("error", (e: Error) => {
      this.#lastError = e.message || e.name;
    });
    this.client.on("ready", () => {
      this.#lastError = null;
    });
  }

  async open(): Promise<void> {
    await this.client.connect();
    this.#opened = true;
  }

  get ready(): boolean {
    return this.client.isReady;
  }

  health(): StoreHealth {
    if (this.client.isReady) return { status: "ok" };
    return { status: "degraded", detail: `Redis at ${this.shownUrl} is unreachable${this.#lastError ? ` (${this.#lastError})` : ""}; reconnecting` };
  }

  /** A client error as the public API answers it: 503 STORE_UNAVAILABLE when Redis cannot serve, the error itself otherwise (a bug: 500). */
  unavailable(e: unknown): unknown {
    if (e instanceof ApiError) return e;
    if (e instanceof ErrorReply && !TRANSIENT_REPLY.test(e.message)) return e;
    const why = e instanceof Error ? e.message : String(e);
    return new ApiError("STORE_UNAVAILABLE", `The mock's store (Redis at ${this.shownUrl}) is unavailable (${why}); retry shortly.`, { "Retry-After": "1" });
  }

  /** Runs a script by its SHA, sending its source once when Redis does not have it (first use, or after a restart). */
  async eval(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<Reply> {
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    try {
      try {
        return await this.client.sendCommand(["EVALSHA", script.sha, ...tail]);
      } catch (e) {
        if (!(e instanceof ErrorReply) || !e.message.startsWith("NOSCRIPT")) throw e;
        return await this.client.sendCommand(["EVAL", script.source, ...tail]);
      }
    } catch (e) {
      throw this.unavailable(e);
    }
  }

  /** A plain command, with the same error mapping. */
  async command(args: string[]): Promise<Reply> {
    try {
      return await this.client.sendCommand(args);
    } catch (e) {
      throw this.unavailable(e);
    }
  }

  async close(): Promise<void> {
    this.#opened = false;
    try {
      if (this.client.isReady) await this.client.close();
      else this.client.destroy();
    } catch {
      this.client.destroy();
    }
  }
}
