import type { Logger as PinoLogger } from "pino";
import type { LogLevel } from "../options.js";

type Level = Exclude<LogLevel, "silent">;

/** What the mock logs through: pino's shape, so a pino logger can be passed in as it is. */
export interface Logger {
  isLevelEnabled(level: string): boolean;
  error(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
}

const RANK: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity };

/**
 * pino, loaded just after start instead of before it (about 40 ms of a cold
 * start, 100 ms with pino-pretty). Lines logged meanwhile wait in order and
 * are written once pino is there. JSON lines for machines, pretty lines on a
 * terminal.
 */
class DeferredLogger implements Logger {
  #target: PinoLogger | null = null;
  #queue: [Level, object | string, string | undefined][] = [];
  readonly #rank: number;

  #loading: Promise<void> | null = null;
  readonly #level: LogLevel;
  readonly #pretty: boolean;

  constructor(level: LogLevel, pretty: boolean) {
    this.#rank = RANK[level];
    this.#level = level;
    this.#pretty = pretty;
    // Loaded on the first line, or a second after start, whichever comes first: never before the first answer.
    setTimeout(() => this.#load(), 1000).unref();
  }

  #load(): Promise<void> {
    if (this.#loading) return this.#loading;
    const level = this.#level;
    const pretty = this.#pretty;
    this.#loading = import("pino").then(({ pino }) => {
      this.#target =
        pretty
          ? pino({ level, base: undefined, transport: { target: "pino-pretty", options: { colorize: true, ignore: "time", singleLine: true } } })
          : pino({ level, base: undefined });
      for (const [l, obj, msg] of this.#queue) this.#target[l](obj, msg);
      this.#queue = [];
    });
    return this.#loading;
  }

  /** Nothing to wait for when nothing was logged yet, so a quiet start stays as fast as before. */
  drained(): Promise<void> {
    return this.#queue.length ? this.#load() : Promise.resolve();
  }

  isLevelEnabled(level: string): boolean {
    return (RANK[level as LogLevel] ?? 0) >= this.#rank;
  }

  #log(level: Level, obj: object | string, msg?: string): void {
    if (RANK[level] < this.#rank) return;
    if (this.#target) this.#target[level](obj, msg);
    else {
      this.#queue.push([level, obj, msg]);
      void this.#load();
    }
  }

  error(obj: object | string, msg?: string): void {
    this.#log("error", obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    this.#log("warn", obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    this.#log("info", obj, msg);
  }
  debug(obj: object | string, msg?: string): void {
    this.#log("debug", obj, msg);
  }
}

const SILENT: Logger = { isLevelEnabled: () => false, error() {}, warn() {}, info() {}, debug() {} };

/** Resolves once every line logged so far is written: the deferred logger holds early lines back. */
export function drained(logger: Logger): Promise<void> {
  return logger instanceof DeferredLogger ? logger.drained() : Promise.resolve();
}

export function createLogger(level: LogLevel, pretty: boolean): Logger {
  return level === "silent" ? SILENT : new DeferredLogger(level, pretty);
}
