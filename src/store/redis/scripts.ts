import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { RATE_BUCKETS, RATE_WINDOW_MS } from "../../domain/rate-limits.js";
import { BEFORE_CHARGE_SCENARIOS, REFUNDED_SCENARIO } from "../../domain/submit-flow.js";

/** Events the shared stream keeps (approximately: XADD MAXLEN ~), for SSE replay with Last-Event-ID. */
export const EVENTS_RETAINED = 10_000;

export const SCRIPT_NAMES = [
  "authorize", "submit", "poll", "job", "jobs", "hide-job", "clock", "account", "accounts", "set-account", "delete-account",
  "reset", "seed-keys", "arm", "armed", "disarm", "take", "incr", "record", "claim-due", "add-delivery", "settle-delivery",
  "sweep", "deliveries", "release-claim",
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

export interface Script {
  name: ScriptName;
  source: string;
  sha: string;
}

const lua = (v: string | number) => (typeof v === "number" ? String(v) : JSON.stringify(v));

/**
 * The constants every script shares, rendered from the domain tables so each
 * fact keeps one source (a JSON string literal is a valid Lua string here:
 * these names are plain ASCII).
 */
function header(): string {
  return [
    `local BUCKETS = { ${RATE_BUCKETS.map(lua).join(", ")} }`,
    `local WINDOW_MS = ${RATE_WINDOW_MS}`,
    `local BEFORE_CHARGE = { ${BEFORE_CHARGE_SCENARIOS.map((s) => `[${lua(s)}] = true`).join(", ")} }`,
    `local REFUNDED = ${lua(REFUNDED_SCENARIO)}`,
    `local EVENTS_MAX = ${EVENTS_RETAINED}`,
  ].join("\n");
}

const read = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), "utf8");

/**
 * The scripts as Redis runs them: header, shared prelude, then the script's
 * own file (src/store/redis/lua/NAME.lua; the build copies them into dist/).
 * Read once per process.
 */
export function loadScripts(): Record<ScriptName, Script> {
  const prelude = `${header()}\n${read("prelude")}`;
  const out = {} as Record<ScriptName, Script>;
  for (const name of SCRIPT_NAMES) {
    const source = `-- artemotion-mock: ${name}\n${prelude}\n${read(name)}`;
    out[name] = { name, source, sha: createHash("sha1").update(source).digest("hex") };
  }
  return out;
}
