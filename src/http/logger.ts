import { pino, type Logger } from "pino";
import type { LogLevel } from "../options.js";

/** pino: JSON lines for machines, pretty lines on a terminal. */
export function createLogger(level: LogLevel, pretty: boolean): Logger {
  if (level === "silent" || !pretty) return pino({ level, base: undefined });
  return pino({ level, base: undefined, transport: { target: "pino-pretty", options: { colorize: true, ignore: "time", singleLine: true } } });
}
