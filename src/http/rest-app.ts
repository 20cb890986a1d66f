import express, { type Express } from "express";
import { ApiError } from "../domain/errors.js";
import { maskKeysIn } from "../domain/keys.js";
import type { MockRuntime } from "../runtime.js";
import { cdnRouter } from "./cdn-routes.js";
import { controlRouter } from "./control-routes.js";
import { docsRouter } from "./docs-routes.js";
import { errorMiddleware } from "./errors.js";
import { uiRouter } from "./ui-routes.js";
import { mockGuardMiddleware, mockGuardPolicy } from "./host-guard.js";
import { Exchange } from "./exchange.js";
import { API_PREFIX } from "./router.js";

/** Paths whose requests are not the API under test, so the journal leaves them out. */
const UNJOURNALED = /^\/(?:(?:__mock|docs)(?:\/|$)|$)/;

/**
 * Everything that is not the public API, composed by Express: the control
 * API, result images, and the 404 for unknown paths. With `mountApi`, the
 * public handler is mounted at /api/v1 too (createApp); the standalone server
 * hands /api/v1 to the handler before Express is reached.
 */
export function createRestApp(rt: MockRuntime, { mountApi }: { mountApi: boolean }): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");
  if (mountApi) app.use(API_PREFIX, (req, res) => rt.handler(req, res));
  // Once per exchange: when the answer is out, or when the connection ends without one (a transport fault).
  const recordOnce = (ex: Exchange) => {
    if (ex.recorded) return;
    ex.recorded = true;
    rt.record(ex);
  };

  app.use((req, res, next) => {
    // Relative to the mock (req.url, not originalUrl), so a user's mount path changes neither the
    // journal's paths nor which requests it leaves out.
    const url = req.url;
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    if (!UNJOURNALED.test(path)) {
      const ex = new Exchange(req, res, rt.options.wallNow());
      ex.path = path;
      ex.query = q === -1 ? "" : url.slice(q + 1);
      res.locals.exchange = ex;
      res.once("finish", () => recordOnce(ex));
      res.once("close", () => recordOnce(ex));
    }
    next();
  });
  // Host and cross-site guards for everything but the public API and /cdn.
  app.use(mockGuardMiddleware(mockGuardPolicy(rt.options)));
  app.use("/cdn", cdnRouter(rt.store, rt.faults, recordOnce));
  app.use(docsRouter({ admin: rt.options.admin }));
  // The page loads without the token (it asks for it and carries no data); every data call goes through the guard.
  if (rt.options.admin) app.use("/__mock/ui", uiRouter({ adminToken: rt.options.adminToken }));
  if (rt.options.admin) app.use("/__mock", controlRouter(rt));
  app.use((req, _res, next) => next(new ApiError("NOT_FOUND", `No route ${req.method} ${req.path}. The API is under /api/v1.`)));
  app.use(
    errorMiddleware((err, req) => rt.logger.error({ err, method: req.method, path: maskKeysIn(req.originalUrl) }, "unexpected error"), (code, res) => {
      const ex = res.locals.exchange as Exchange | undefined;
      if (ex) ex.errorCode = code;
    }),
  );
  return app;
}
