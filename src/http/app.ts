import express, { type Express } from "express";
import type { Logger } from "pino";
import { Journal } from "../domain/journal.js";
import { MockService } from "../domain/service.js";
import { resolveOptions, type MockOptions } from "../options.js";
import { sharedValidators, type SpecValidators } from "../spec/validators.js";
import { WebhookDispatcher } from "../webhooks/dispatcher.js";
import { cdnRouter } from "./cdn-routes.js";
import { keyIfAny } from "./context.js";
import { controlRouter } from "./control-routes.js";
import { errorMiddleware } from "./errors.js";
import { createLogger } from "./logger.js";
import { DueTimer } from "./due-timer.js";
import { publicRouter } from "./public-routes.js";
import { docsRouter } from "./docs-routes.js";
import { uiRouter } from "./ui-routes.js";
import { ApiError } from "../domain/errors.js";

export interface MockApp {
  app: Express;
  options: Readonly<MockOptions>;
  service: MockService;
  dispatcher: WebhookDispatcher;
  journal: Journal;
  validators: SpecValidators;
  logger: Logger;
  timer: DueTimer;
}

/** Builds the Express app and its state. Never listens: src/server.ts and the CLI do. */
export function createApp(partial: Partial<MockOptions> = {}, deps: { logger?: Logger } = {}): MockApp {
  const options = resolveOptions(partial);
  const validators = sharedValidators();
  const service = new MockService({ seed: options.seed, timing: options.timing, credits: options.credits, rateLimits: options.rateLimits, wallNow: options.wallNow });
  const dispatcher = new WebhookDispatcher(service, options.webhookTimeoutMs);
  const journal = new Journal(options.journalSize);
  const logger = deps.logger ?? createLogger(options.logLevel, false);
  const timer = new DueTimer(service);
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");

  app.use((req, res, next) => {
    const started = performance.now();
    res.on("finish", () => {
      timer.poke();
      const duration_ms = Math.round((performance.now() - started) * 100) / 100;
      const scenario = (res.locals.scenario as string | null | undefined) ?? null;
      // originalUrl, not req.path: a mounted router leaves req.url stripped of its mount point.
      const url = req.originalUrl;
      const q = url.indexOf("?");
      const path = q === -1 ? url : url.slice(0, q);
      if (logger.isLevelEnabled("info")) logger.info({ method: req.method, path, status: res.statusCode, duration_ms, scenario }, "request");
      // The journal records the API under test, not the control calls that inspect it.
      if (path === "/__mock" || path.startsWith("/__mock/")) return;
      // Raw values only: the journal formats time and masks the key when it is read.
      const key = (res.locals.key as string | undefined) ?? keyIfAny(req);
      journal.add({ timeMs: service.now(), method: req.method, path, status: res.statusCode, key, scenario, duration_ms });
    });
    next();
  });

  app.use(publicRouter({ service, validators, publicUrl: options.publicUrl, bodyLimitBytes: options.bodyLimitBytes }));
  app.use("/cdn", cdnRouter(service));
  const mockApp: MockApp = { app, options, service, dispatcher, journal, validators, logger, timer };
  app.use(docsRouter({ admin: options.admin }));
  if (options.admin) app.use("/__mock/ui", uiRouter({ adminToken: options.adminToken }));
  if (options.admin) app.use("/__mock", controlRouter(mockApp));
  app.use((req, _res, next) => next(new ApiError("NOT_FOUND", `No route ${req.method} ${req.path}. The API is under /api/v1.`)));
  app.use(errorMiddleware((err, req) => logger.error({ err, method: req.method, path: req.originalUrl }, "unexpected error")));
  return mockApp;
}

