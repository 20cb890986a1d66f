import cluster from "node:cluster";
import { createLogger, drained } from "../http/logger.js";
import { isLoopbackHost, OptionsError, resolveOptions, type MockOptions } from "../options.js";
import { createMockServer } from "../server.js";
import { shutdownSummary } from "../doctor/report.js";
import { loadKeyPolicy } from "../key-file.js";
import { StoreOpenError } from "../store/open.js";
import { READY_MESSAGE, runPrimary } from "./cluster.js";
import { redactUrl } from "../store/redis/url.js";

/** Refuses to expose the control API on a network without a token. */
export function checkExposure(o: Readonly<MockOptions>): string | null {
  if (o.admin && o.adminToken === null && !isLoopbackHost(o.host)) {
    return `Refusing to serve /__mock on non-loopback host ${o.host} without a token: pass --admin-token <token> (or MOCK_ADMIN_TOKEN), or --no-admin to disable the control API.`;
  }
  return null;
}

/** The guards a shared deployment runs with, for the ready line; nothing when all are at their loopback defaults. */
function guardSummary(o: Readonly<MockOptions>): string {
  const loopback = isLoopbackHost(o.host);
  if (loopback && o.allowedHosts !== "any" && o.allowedHosts.length === 0 && o.webhookAllow === null && o.keys === "auto") return "";
  const hosts = o.allowedHosts === "any" ? "any" : ["loopback", ...o.allowedHosts].join(",");
  const webhooks = o.webhookAllow === null ? (loopback ? "any HTTPS" : "public HTTPS only") : o.webhookAllow === "any" ? "any" : o.webhookAllow.join(",");
  return `, hosts ${hosts}, webhooks ${webhooks}, keys ${o.keys}`;
}

export async function serve(partial: Partial<MockOptions>, out: { log: (s: string) => void; err: (s: string) => void }): Promise<number> {
  let options;
  try {
    options = resolveOptions(partial);
    // Read now, so a bad keys file stops the start with its message (the store loads it again).
    loadKeyPolicy(options);
  } catch (e) {
    if (e instanceof OptionsError) {
      out.err(`artemotion-mock: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const refusal = checkExposure(options);
  if (refusal) {
    out.err(`artemotion-mock: ${refusal}`);
    return 2;
  }
  if (options.workers > 0 && cluster.isPrimary) return runPrimary(options, out);
  const worker = cluster.isWorker ? cluster.worker : undefined;
  // Each worker is a replica of its own in the journal and deliveries.
  if (worker && options.replicaId !== null) options = resolveOptions({ ...options, replicaId: `${options.replicaId}:w${worker.id}` });
  const logger = createLogger(options.logLevel, Boolean(process.stdout.isTTY));
  let server;
  try {
    server = await createMockServer({ ...options }, { logger, lazyRest: true });
  } catch (e) {
    out.err(e instanceof StoreOpenError ? `artemotion-mock: ${e.message}` : `artemotion-mock: cannot listen on ${options.host}:${options.port}: ${(e as Error).message}`);
    return 2;
  }
  const o = server.mock.options;
  // The chaos seed is printed even without --seed, so a run that broke a client can be replayed.
  const chaos = o.chaos > 0 ? `, chaos ${o.chaos} ${o.chaosProfile} (seed ${server.chaos().seed})` : "";
  const store = o.store === "memory" ? "" : `, store ${redactUrl(o.store)}${o.store.startsWith("redis") ? ` (namespace ${o.namespace})` : ""}`;
  const ready = `artemotion-mock ready: ${server.baseUrl} (timing ${o.timing}, seed ${o.seed ?? "random"}, credits ${o.credits}, rate limits ${o.rateLimits ? "on" : "off"}, control API ${o.admin ? `${server.origin}/__mock${o.adminToken ? " (token)" : ""}` : "off"}${chaos}${guardSummary(o)}${store})`;
  // Start-up warnings (a torn state file, a seed mismatch) print before the ready line a supervisor waits for.
  await drained(logger);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      // Stop accepting first: once this line is printed, new connections are refused.
      const closed = server.close();
      // Workers stop quietly: the primary says it once for all of them.
      if (!worker) {
        out.log(`artemotion-mock: ${signal}, shutting down`);
        const summary = shutdownSummary(server.mock.runtime.doctor?.report());
        if (summary) out.log(summary);
      }
      const force = setTimeout(() => resolve(0), 1900);
      force.unref();
      closed.then(() => {
        clearTimeout(force);
        resolve(0);
      });
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    // A worker whose primary died (even by SIGKILL) has lost its port: it stops too, rather than linger.
    if (worker) process.once("disconnect", () => stop("primary gone"));
    // Only once the handlers are in place: a supervisor may send SIGTERM as soon as it reads this line.
    // A worker tells the primary, which prints one line for all of them.
    if (worker) process.send?.({ type: READY_MESSAGE, line: ready });
    else out.log(ready);
  });
}
