import type { Api } from "./api.js";
import { SseParser } from "./sse.js";
import { EVENT_KINDS, type EventKind, type WireEvent } from "./types.js";

export type LiveMode = "connecting" | "live" | "polling" | "stopped";

interface Listener {
  kinds: ReadonlySet<EventKind>;
  fn: (e: WireEvent | null) => void;
}

/** Polling stands in for the stream; under 1 s so a new job shows within a second either way. */
export const POLL_MS = 500;
/** The server sends a heartbeat every 15 s: three missed ones mean the stream is dead. */
const SILENCE_MS = 45_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * One live feed for every panel. It reads GET /__mock/events (one stream: a
 * browser allows 6 connections per origin) and resumes with Last-Event-ID.
 * When the stream is missing or drops, it polls instead (every listener
 * reloads each tick) and keeps trying to reconnect with backoff.
 */
export class Live {
  mode: LiveMode = "connecting";
  #api: Api;
  #useStream: boolean;
  #listeners = new Set<Listener>();
  #modeListeners = new Set<(m: LiveMode) => void>();
  #lastId: string | null = null;
  #poll: ReturnType<typeof setInterval> | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #abort: AbortController | null = null;
  #backoff = 1000;
  #everLive = false;

  /** `useStream` is false against a mock without /__mock/events, so it is never asked for. */
  constructor(api: Api, useStream: boolean) {
    this.#api = api;
    this.#useStream = useStream;
  }

  start(): void {
    if (this.#useStream) void this.#connect();
    else this.#startPolling();
  }

  stop(): void {
    this.#abort?.abort();
    this.#stopPolling();
    if (this.#retry) clearTimeout(this.#retry);
    this.#setMode("stopped");
  }

  /** Calls `fn` for every event of these kinds, and on every poll tick. */
  on(kinds: readonly EventKind[], fn: (e: WireEvent | null) => void): () => void {
    const l: Listener = { kinds: new Set(kinds), fn };
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  onMode(fn: (m: LiveMode) => void): () => void {
    this.#modeListeners.add(fn);
    return () => this.#modeListeners.delete(fn);
  }

  /** Every listener reloads, as if every kind had changed. */
  refreshAll(): void {
    for (const l of [...this.#listeners]) l.fn(null);
  }

  #setMode(m: LiveMode): void {
    if (this.mode === m) return;
    this.mode = m;
    for (const fn of [...this.#modeListeners]) fn(m);
  }

  #startPolling(): void {
    this.#setMode("polling");
    this.#poll ??= setInterval(() => {
      if (document.visibilityState !== "hidden") this.refreshAll();
    }, POLL_MS);
  }

  #stopPolling(): void {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = null;
  }

  #dispatch(kind: string, data: string): void {
    let e: WireEvent;
    try {
      e = JSON.parse(data) as WireEvent;
    } catch {
      return;
    }
    const k = (EVENT_KINDS as readonly string[]).includes(kind) ? (kind as EventKind) : e.kind;
    for (const l of [...this.#listeners]) if (l.kinds.has(k) || k === "reset") l.fn(e);
  }

  async #connect(): Promise<void> {
    if (this.mode === "stopped") return;
    const abort = (this.#abort = new AbortController());
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    if (this.#lastId !== null) headers["Last-Event-ID"] = this.#lastId;
    let watchdog: ReturnType<typeof setTimeout> | null = null;
    const bark = () => {
      if (watchdog) clearTimeout(watchdog);
      watchdog = setTimeout(() => abort.abort(), SILENCE_MS);
    };
    try {
      const res = await this.#api.raw("/events", { headers, signal: abort.signal });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      this.#stopPolling();
      this.#setMode("live");
      this.#backoff = 1000;
      // Back from polling or a drop: whatever changed meanwhile is reloaded once.
      if (this.#everLive) this.refreshAll();
      this.#everLive = true;
      const parser = new SseParser();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      bark();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        bark();
        for (const m of parser.push(value)) {
          if (parser.lastEventId !== null) this.#lastId = parser.lastEventId;
          this.#dispatch(m.event, m.data);
        }
      }
    } catch {
      // Dropped, refused or timed out: poll until the stream is back.
    } finally {
      if (watchdog) clearTimeout(watchdog);
    }
    // stop() may have run while the stream was open.
    if ((this.mode as LiveMode) === "stopped") return;
    this.#startPolling();
    this.#retry = setTimeout(() => void this.#connect(), this.#backoff);
    this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF_MS);
  }
}
