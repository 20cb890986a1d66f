import type { IncomingMessage } from "node:http";
import { API_KEY_PATTERN } from "../domain/keys.js";
import { ApiError } from "../domain/errors.js";
import { SCENARIO_NAMES, isScenarioName, normaliseScenarioName, type ScenarioName } from "../domain/scenarios.js";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The bearer key of a request, or UNAUTHORIZED with the documented messages. */
export function bearerKey(req: IncomingMessage): string {
  const header = req.headers.authorization;
  if (header === undefined || header.trim() === "") throw new ApiError("UNAUTHORIZED", "Missing Authorization header");
  const m = BEARER.exec(header);
  if (!m || !API_KEY_PATTERN.test(m[1]!)) throw new ApiError("UNAUTHORIZED", "Invalid API key");
  return m[1]!;
}

/** The key if the request carries a well-formed one, for the journal; never throws. */
export function keyIfAny(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (header === undefined) return null;
  const m = BEARER.exec(header);
  return m && API_KEY_PATTERN.test(m[1]!) ? m[1]! : null;
}

// Underscores appear in container service names (docker-compose), so they are allowed.
const HOST_PATTERN = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin the client used (or --public-url), for poll_url and result
 * URLs. One per handler: it remembers the origin of each Host header it has
 * seen, so a poll does not rebuild the string (bounded: hosts come from clients).
 */
export class Origins {
  #seen = new Map<string, string>();

  constructor(readonly publicUrl: string | null) {}

  of(req: IncomingMessage): string {
    if (this.publicUrl) return this.publicUrl;
    const host = req.headers.host;
    const encrypted = req.socket !== null && "encrypted" in req.socket;
    if (host === undefined || encrypted) return originOf(req, null);
    const known = this.#seen.get(host);
    if (known !== undefined) return known;
    const origin = originOf(req, null);
    // Only a usable Host is remembered; without one the origin depends on the socket.
    if (this.#seen.size < 256 && HOST_PATTERN.test(host)) this.#seen.set(host, origin);
    return origin;
  }
}

/** The origin the client used (or --public-url), built from the request. */
export function originOf(req: IncomingMessage, publicUrl: string | null): string {
  if (publicUrl) return publicUrl;
  const host = req.headers.host;
  const proto = req.socket !== null && "encrypted" in req.socket ? "https" : "http";
  if (host && HOST_PATTERN.test(host)) return `${proto}://${host}`;
  // No usable Host: the address the client actually reached still works as given.
  const addr = req.socket.localAddress ?? "127.0.0.1";
  const hostPart = addr.includes(":") ? `[${addr.replace(/^::ffff:/, "")}]`.replace(/^\[(\d+\.\d+\.\d+\.\d+)\]$/, "$1") : addr;
  return `${proto}://${hostPart}:${req.socket.localPort ?? 80}`;
}

export const SCENARIO_HEADER = "x-mock-scenario";

export function parseScenario(raw: string, source: string): ScenarioName {
  const name = normaliseScenarioName(raw);
  if (!isScenarioName(name)) {
    throw new ApiError("INVALID_REQUEST", `Unknown scenario "${raw}" in ${source}. Known: ${SCENARIO_NAMES.join(", ")}.`);
  }
  return name;
}

export function headerScenario(req: IncomingMessage): ScenarioName | null {
  const raw = req.headers[SCENARIO_HEADER];
  if (typeof raw !== "string" || raw.trim() === "") return null;
  return parseScenario(raw, "X-Mock-Scenario");
}
