import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { ControlPlane } from "./control/plane.js";
import { createApp, type MockApp } from "./http/app.js";
import { guardClientErrors } from "./http/errors.js";
import type { MockOptions } from "./options.js";

export interface MockServer extends ControlPlane {
  /** e.g. http://127.0.0.1:54321/api/v1 */
  readonly baseUrl: string;
  /** e.g. http://127.0.0.1:54321 */
  readonly origin: string;
  readonly port: number;
  readonly mock: MockApp;
  readonly server: http.Server;
  close(): Promise<void>;
}

/** Shutdown deadline: in-flight requests and webhooks get this long, then sockets are cut. */
export const SHUTDOWN_GRACE_MS = 1000;

/**
 * Starts a mock listening on 127.0.0.1, port 0 by default, with the control
 * operations as methods. Instances share nothing, so tests can run in parallel.
 */
export async function createMockServer(options: Partial<MockOptions> = {}, deps: { logger?: Logger } = {}): Promise<MockServer> {
  const mock = createApp({ port: 0, logLevel: "silent", ...options }, deps);
  const server = http.createServer({ keepAliveTimeout: 5_000 }, mock.app);
  guardClientErrors(server);
  // Responses still being written when close() starts end their connection, so shutdown need not wait for keep-alive.
  const open = new Set<http.ServerResponse>();
  let draining = false;
  server.on("request", (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (draining) res.setHeader("Connection", "close");
    open.add(res);
    res.once("close", () => open.delete(res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(mock.options.port, mock.options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = mock.options.host.includes(":") ? `[${mock.options.host}]` : mock.options.host === "0.0.0.0" ? "127.0.0.1" : mock.options.host;
  const origin = `http://${host}:${port}`;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      mock.timer.stop();
      draining = true;
      for (const res of open) if (!res.headersSent) res.setHeader("Connection", "close");
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await Promise.all([closed, mock.dispatcher.drain(SHUTDOWN_GRACE_MS)]);
      clearTimeout(cut);
    })());
  const plane = new ControlPlane(mock);
  return Object.assign(plane, { baseUrl: `${origin}/api/v1`, origin, port, mock, server, close }) as MockServer;
}
