import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "./http/logger.js";
import type { ClockView, JobSummary } from "./control/plane.js";
import { runProbe, type ProbeOptions, type ProbeReport } from "./doctor/probe.js";
import { DISABLED_REPORT, type DoctorReport } from "./doctor/report.js";
import { ControlPlane } from "./control/plane.js";
import type { DeliveryRecord } from "./domain/deliveries.js";
import type { Armed } from "./domain/scenarios.js";
import type { JournalEntry } from "./events/wire.js";
import { guardClientErrors } from "./http/client-errors.js";
import { createLogger } from "./http/logger.js";
import { sendError } from "./http/send.js";
import { ApiError } from "./domain/errors.js";
import { resolveOptions, type MockOptions } from "./options.js";
import { createRuntime, defaultReplica, type MockRuntime } from "./runtime.js";
import { fakerEn } from "./domain/results.js";
import { openStore } from "./store/open.js";
import type { AccountView, RequestQuery, Store } from "./store/types.js";

/** Control methods answer synchronously on the memory and file stores, with promises on Redis. */
type Sync<S> = S extends `redis${string}` ? false : S extends "memory" | `file:${string}` | undefined ? true : boolean;
type Out<T, Y extends boolean> = Y extends true ? T : Y extends false ? Promise<T> : T | Promise<T>;

export interface ControlMethods<Y extends boolean> {
  health(): ReturnType<ControlPlane["health"]>;
  reset(key?: string): Out<void, Y>;
  clock(): Out<ClockView, Y>;
  advance(ms: number): Out<ClockView, Y>;
  advanceToNext(): Promise<ClockView>;
  freeze(): Out<ClockView, Y>;
  resume(): Out<ClockView, Y>;
  getAccount(key: string): Out<AccountView & { key_ref: string }, Y>;
  accounts(): Out<(AccountView & { key_ref: string })[], Y>;
  setAccount(key: string, credits: number): Out<AccountView & { key_ref: string }, Y>;
  deleteAccount(key: string): Out<void, Y>;
  armScenario(...a: Parameters<ControlPlane["armScenario"]>): Out<Armed, Y>;
  listScenarios(): Out<Armed[], Y>;
  disarm(filter?: { id?: string; key?: string }): Out<number, Y>;
  jobs(key?: string): Out<JobSummary[], Y>;
  webhooks(jobId?: string): Out<DeliveryRecord[], Y>;
  redeliver(...a: Parameters<ControlPlane["redeliver"]>): Promise<DeliveryRecord>;
  webhooksSettled(): Promise<void>;
  requests(limitOrQuery?: number | RequestQuery): Out<{ requests: JournalEntry[] }, Y>;
  schedule: ControlPlane["schedule"];
  export: ControlPlane["export"];
  listJobs: ControlPlane["listJobs"];
  resolveKey: ControlPlane["resolveKey"];
  chaos: ControlPlane["chaos"];
  setChaos: ControlPlane["setChaos"];
  faults: ControlPlane["faults"];
}

export interface MockServer<Y extends boolean = true> extends ControlMethods<Y> {
  /** The integration doctor's findings (all keys, or one); keys are raw in process. */
  doctor(key?: string): DoctorReport;
  /** POST /__mock/doctor/probe, in process. */
  doctorProbe(options?: Partial<ProbeOptions>): Promise<ProbeReport>;
  /** e.g. http://127.0.0.1:54321/api/v1 */
  readonly baseUrl: string;
  /** e.g. http://127.0.0.1:54321 */
  readonly origin: string;
  readonly port: number;
  readonly mock: { options: Readonly<MockOptions>; store: Store; runtime: MockRuntime };
  readonly server: http.Server;
  close(): Promise<void>;
}

export interface ServerDeps {
  logger?: Logger;
  /** An opened store to use instead of the one the options name. */
  store?: Store;
  /** Load the Express part (control API, CDN) only when first needed: the CLI does, for a fast start. */
  lazyRest?: boolean;
}

/** Shutdown deadline: in-flight requests and webhooks get this long, then sockets are cut. */
export const SHUTDOWN_GRACE_MS = 1000;

/** /api/v1 and below, matched as Express matched a mount path (any case). */
export function isApiUrl(url: string): boolean {
  if (url.length < 7 || url.slice(0, 7).toLowerCase() !== "/api/v1") return false;
  const next = url[7];
  return next === undefined || next === "/" || next === "?";
}

/**
 * Starts a mock listening on 127.0.0.1, port 0 by default, with the control
 * operations as methods. Instances share nothing, so tests can run in
 * parallel. The public API goes straight to the plain handler; Express
 * composes everything else.
 */
export async function createMockServer<O extends Partial<MockOptions>>(partial: O = {} as O, deps: ServerDeps = {}): Promise<MockServer<Sync<O["store"]>>> {
  const options = resolveOptions({ port: 0, logLevel: "silent", ...partial });
  const logger = deps.logger ?? createLogger(options.logLevel, false);
  const store = deps.store ?? (await openStore(options, defaultReplica(options), { warn: (m) => logger.warn(m), info: (m) => logger.info(m) }));
  const rt = createRuntime(options, { logger, store });
  let rest: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  let loading: Promise<void> | null = null;
  const loadRest = () =>
    (loading ??= import("./http/rest-app.js").then((m) => {
      rest = m.createRestApp(rt, { mountApi: false });
    }));
  // Requests that arrive on kept-alive connections after close() starts end their connection.
  let draining = false;
  const server = http.createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    if (draining) res.setHeader("Connection", "close");
    if (isApiUrl(req.url ?? "/")) return rt.handler(req, res);
    if (rest) return rest(req, res);
    loadRest().then(
      () => rest!(req, res),
      (err) => {
        rt.logger.error({ err }, "cannot load the control API");
        sendError(res, new ApiError("INTERNAL_ERROR"));
      },
    );
  });
  guardClientErrors(server);
  // Per connection, not per request: at close, the responses still being written end their connection.
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  if (!deps.lazyRest) await loadRest();
  else {
    // Warm up what the first control call and the first vision result need, once the start is done.
    setTimeout(() => {
      void loadRest();
      fakerEn();
    }, 250).unref();
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host === "0.0.0.0" ? "127.0.0.1" : options.host;
  const origin = `http://${host}:${port}`;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      rt.due.stop();
      rt.faults.close();
      draining = true;
      for (const socket of sockets) {
        const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
        if (res && !res.headersSent) res.setHeader("Connection", "close");
      }
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await Promise.all([closed, rt.dispatcher.drain(SHUTDOWN_GRACE_MS)]);
      clearTimeout(cut);
      await store.close();
    })());
  const plane = new ControlPlane({ store, dispatcher: rt.dispatcher, due: rt.due, faults: rt.faults });
  return Object.assign(plane, {
    baseUrl: `${origin}/api/v1`, origin, port, server, close,
    mock: { options, store, runtime: rt },
    doctor: (key?: string) => rt.doctor?.report(key) ?? DISABLED_REPORT,
    doctorProbe: (o: Partial<ProbeOptions> = {}) => runProbe(plane, { webhooks: o.webhooks ?? true, rateLimitKey: o.rateLimitKey ?? null }),
  }) as unknown as MockServer<Sync<O["store"]>>;
}
