/**
 * Preloaded (`node --import`) before one of the docs' JavaScript programs runs
 * against a mock whose clock is frozen:
 * - the program's own setTimeout waits advance the mock's virtual clock instead
 *   of passing in real time, and are logged to AE_SLEEP_LOG, so a 30-second
 *   try-on is polled to its end, exactly as the docs poll, in milliseconds;
 * - fetch refuses anything but loopback, so a base URL left unreplaced can never
 *   reach the live API;
 * - `node-fetch`, which the docs' TypeScript example imports, is Node's own fetch.
 */
import { appendFileSync } from "node:fs";
import { register } from "node:module";

const { AE_MOCK_ORIGIN: origin, AE_PROGRAM_URL: program, AE_SLEEP_LOG: log } = process.env;
if (!origin || !program || !log) throw new Error("virtual-time.mjs needs AE_MOCK_ORIGIN, AE_PROGRAM_URL and AE_SLEEP_LOG");

const realSetTimeout = globalThis.setTimeout;
const realFetch = globalThis.fetch;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (!LOOPBACK.has(url.hostname)) return Promise.reject(new Error(`refused: ${url.origin} is not loopback`));
  return realFetch(input, init);
};

globalThis.setTimeout = function setTimeout(fn, ms, ...args) {
  // Only the program's own waits: Node's internals keep real time.
  if (!new Error().stack?.includes(program)) return realSetTimeout(fn, ms, ...args);
  const wait = Math.round(Number(ms) || 0);
  appendFileSync(log, `${wait}\n`);
  realFetch(`${origin}/__mock/clock/advance`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ms: wait }) })
    .then((res) => {
      if (!res.ok) throw new Error(`POST /__mock/clock/advance answered ${res.status}`);
      fn(...args);
    })
    .catch((e) => {
      console.error(e);
      process.exit(70);
    });
  return realSetTimeout(() => {}, 0);
};

register("./node-fetch-hook.mjs", import.meta.url);
