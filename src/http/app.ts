import type { Express } from "express";
import type { Logger } from "./logger.js";
import type { ControlPlane } from "../control/plane.js";
import { resolveOptions, type MockOptions } from "../options.js";
import { createRuntime, type MockRuntime } from "../runtime.js";
import type { Store } from "../store/types.js";
import { createRestApp } from "./rest-app.js";

export interface MockApp {
  app: Express;
  options: Readonly<MockOptions>;
  runtime: MockRuntime;
  store: Store;
  plane: ControlPlane;
  logger: Logger;
}

/**
 * The whole mock as one Express app, for embedding in your own Express
 * server (mount it anywhere); never listens. /api/v1 is the same plain
 * handler the standalone server uses, so both answer byte for byte alike.
 */
export function createApp(partial: Partial<MockOptions> = {}, deps: { logger?: Logger; store?: Store } = {}): MockApp {
  const options = resolveOptions(partial);
  const runtime = createRuntime(options, deps);
  const app = createRestApp(runtime, { mountApi: true });
  return { app, options, runtime, store: runtime.store, plane: runtime.plane, logger: runtime.logger };
}
