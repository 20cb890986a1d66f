import { randomInt } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "./http/logger.js";
import { ControlPlane } from "./control/plane.js";
import { DueRunner } from "./control/due-runner.js";
import { Doctor } from "./doctor/doctor.js";
import type { Exchange } from "./http/exchange.js";
import { maskKeysIn } from "./domain/keys.js";
import { FaultEngine } from "./faults/engine.js";
import { createLogger } from "./http/logger.js";
import { createPublicHandler, type PublicHandler } from "./http/public-handler.js";
import { webhookPolicyFor, type MockOptions } from "./options.js";
import { WebhookDestinations } from "./webhooks/destinations.js";
import { MemoryStore } from "./store/memory/store.js";
import { storeConfig } from "./store/open.js";
import type { Store } from "./store/types.js";
import { WebhookDispatcher } from "./webhooks/dispatcher.js";

/** Everything one mock instance runs on; built once, shared by the public handler, the Express app and the server. */
export interface MockRuntime {
  options: Readonly<MockOptions>;
  store: Store;
  logger: Logger;
  dispatcher: WebhookDispatcher;
  due: DueRunner;
  plane: ControlPlane;
  /** Transport faults, arming at every phase, and seeded chaos. */
  faults: FaultEngine;
  /** The public API (/api/v1/*) as a plain node handler. */
  handler: PublicHandler;
  /** Journals an answered request, logs its line and re-arms the due timer. */
  record: (ex: Exchange) => void;
  replica: string;
  /** The integration doctor, subscribed to the store's events; null with --doctor off. */
  doctor: Doctor | null;
}

export interface RuntimeDeps {
  logger?: Logger;
  /** An opened store; without one, the options' store must be `memory`. */
  store?: Store;
}

export const defaultReplica = (o: Readonly<MockOptions>) => o.replicaId ?? `${hostname()}:${process.pid}`;

export function createRuntime(options: Readonly<MockOptions>, deps: RuntimeDeps = {}): MockRuntime {
  const replica = defaultReplica(options);
  let store = deps.store;
  if (!store) {
    if (options.store !== "memory") throw new Error(`The ${options.store.split(":")[0]} store opens asynchronously: use createMockServer(), or pass an opened store (openStore) as deps.store.`);
    store = new MemoryStore(storeConfig(options, replica));
  }
  const logger = deps.logger ?? createLogger(options.logLevel, false);
  const webhookPolicy = webhookPolicyFor(options);
  // Without --seed, chaos still follows one seed per run (GET /__mock/chaos shows it, to replay the run with --seed).
  const faults = new FaultEngine(store, { rate: options.chaos, profile: options.chaosProfile, seed: options.seed ?? randomInt(2 ** 31) });
  const dispatcher = new WebhookDispatcher({ store, timeoutMs: options.webhookTimeoutMs, wallNow: options.wallNow, replica, destinations: new WebhookDestinations(webhookPolicy), faults, onDelayed: () => due.poke() });
  const due = new DueRunner(store, dispatcher);
  // A store restored from a state file may have webhooks and expiry already due.
  due.poke();
  const plane = new ControlPlane({ store, dispatcher, due, faults });
  const info = logger.isLevelEnabled("info");
  const s = store;
  const record = (ex: Exchange) => {
    const e = ex.toEvent(s.now(), replica);
    s.recordRequest(e);
    // A client may put its key in the path (a job id mix-up); the log line shows it masked.
    if (info) logger.info({ method: e.method, path: maskKeysIn(e.path), status: e.status, duration_ms: e.duration_ms, scenario: e.scenario, fault: e.fault }, "request");
    due.poke();
  };
  const handler = createPublicHandler({ store, publicUrl: options.publicUrl, bodyLimitBytes: options.bodyLimitBytes, logger, record, webhookPolicy, faults, wallNow: options.wallNow });
  // One subscriber per process sees every replica's events (the Redis store relays them).
  let doctor: Doctor | null = null;
  if (options.doctor) {
    const d = (doctor = new Doctor({ now: () => s.now(), wallNow: options.wallNow, publicHost: options.publicUrl === null ? null : new URL(options.publicUrl).host }));
    store.events.subscribe((e) => d.observe(e));
  }
  return { options, store, logger, dispatcher, due, plane, faults, handler, record, replica, doctor };
}
