import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "./logger.js";
import { findModel, tryonCatalogBody, visionCatalogBody, type JobKind, type Model } from "../domain/catalog.js";
import { ApiError, isApiError } from "../domain/errors.js";
import { CUT_FAULTS, FAULT_HEADER, parseFaultName } from "../domain/faults.js";
import { viewOf, type Job, type JobWebhookFault } from "../domain/jobs.js";
import { maskKeysIn } from "../domain/keys.js";
import { magicFromImageUrl, type ScenarioName } from "../domain/scenarios.js";
import { jobNotFound, submitResponse } from "../domain/submit-flow.js";
import { resolveSubmit, type SubmitRequest } from "../domain/submit-rules.js";
import type { WebhookPolicy } from "../domain/webhook-policy.js";
import type { FaultEngine, Injection } from "../faults/engine.js";
import * as validators from "../spec/generated/request-validators.js";
import type { GeneratedOperation } from "../spec/generate.js";
import type { PollResult, Store, SubmitResult } from "../store/types.js";
import { assertJsonContentType, readJsonBody } from "./body.js";
import { Origins, bearerKey, headerScenario, parseScenario } from "./context.js";
import { parseQuery } from "./query.js";
import { Exchange, bodyHash } from "./exchange.js";
import { API_PREFIX, SpecRouter } from "./router.js";
import { writeFaulted, type Delivered } from "./fault-writer.js";
import { JSON_TYPE, sendError, sendJson, sendJsonBuffer, sendJsonText } from "./send.js";
import { validateWith, type Validator } from "./validate.js";

export interface PublicDeps {
  store: Store;
  publicUrl: string | null;
  bodyLimitBytes: number;
  logger: Logger;
  /** Called once per answered request (the journal, the log line, the due timer). */
  record: (ex: Exchange) => void;
  /** Which webhook_url literals a submit may name. */
  webhookPolicy: WebhookPolicy;
  /** Transport faults and chaos; its `active` flag keeps the hot path free of fault work. */
  faults: FaultEngine;
  /** Wall clock for each request's arrival time (the doctor judges client timing on it). */
  wallNow: () => number;
}

export type PublicHandler = (req: IncomingMessage, res: ServerResponse) => void;

const SUBMITS: Record<string, JobKind> = { submitTryon: "tryon", submitVision: "vision", submitGenerate: "generate" };
const IMAGE_FIELDS = ["person_image_url", "garment_image_url", "image_url"];
const VALIDATORS = validators as unknown as Record<string, Validator>;
const FINISHED_CACHE = 1024;
const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => v instanceof Promise;

/**
 * Header first, then a magic image host; arming is the store's fallback. A
 * magic fault host (`<fault>.fault.test`) is noted on the exchange.
 */
function requestScenario(ex: Exchange, body: Record<string, unknown>): ScenarioName | null {
  let found = headerScenario(ex.req);
  for (const field of IMAGE_FIELDS) {
    const value = body[field];
    const magic = typeof value === "string" ? magicFromImageUrl(value) : null;
    if (!magic) continue;
    if (magic.kind === "fault") ex.magicFault ??= parseFaultName(magic.name, field);
    else found ??= parseScenario(magic.name, field);
  }
  return found;
}

const HIDDEN_POLL: Injection = { name: "poll_not_found", kind: "fault", phase: "poll", params: {}, source: "job", delayMs: 0 };

/**
 * The public API (/api/v1/*) as one plain node handler, routed and validated
 * from the generated spec tables. The standalone server calls it directly;
 * createApp() mounts the same function in Express. With the memory store no
 * request waits on a promise.
 */
export function createPublicHandler(deps: PublicDeps): PublicHandler {
  const { store, logger, faults, wallNow } = deps;
  const router = new SpecRouter();
  const origins = new Origins(deps.publicUrl);
  const catalogs: Record<string, Buffer> = {
    listModels: Buffer.from(JSON.stringify(tryonCatalogBody())),
    listVisionModels: Buffer.from(JSON.stringify(visionCatalogBody())),
  };

  /** Serialised answers of finished jobs, oldest dropped first (bounded: 100,000 jobs must not double the heap). */
  const finished = new Map<string, { origin: string; job: Job; text: string }>();

  const finish = (ex: Exchange) => {
    if (ex.recorded) return;
    ex.recorded = true;
    deps.record(ex);
  };

  /** The answer through the fault this request met: counted, journaled, and named in X-Mock-Fault when anything is sent. */
  const faulted = (ex: Exchange, status: number, text: string, headers?: Readonly<Record<string, string>>) => {
    const inj = ex.plan!;
    ex.fault = inj.name;
    faults.count(inj, ex.key);
    writeFaulted({
      res: ex.res, inj, status, headers: { ...headers, "Content-Type": JSON_TYPE }, body: Buffer.from(text),
      record: (how: Delivered) => {
        ex.responseLost = how === "lost";
        ex.noResponse = how === "none";
        finish(ex);
      },
    });
  };

  const fail = (ex: Exchange, err: unknown) => {
    const api = isApiError(err) ? err : null;
    if (!api) logger.error({ err, method: ex.req.method, path: maskKeysIn(ex.path) }, "unexpected error");
    const e = api ?? new ApiError("INTERNAL_ERROR");
    ex.errorCode = e.code;
    ex.errorMessage = e.message;
    if (e.code === "RATE_LIMIT_EXCEEDED") ex.retryAfter = Number(e.headers["Retry-After"]);
    if (e.fault !== null && ex.plan === null) ex.plan = HIDDEN_POLL;
    if (ex.res.headersSent) ex.res.destroy();
    else if (ex.plan !== null) return faulted(ex, e.status, JSON.stringify(e.toBody()), e.headers);
    else sendError(ex.res, e);
    finish(ex);
  };

  const answered = (ex: Exchange, status: number, body: unknown) => {
    if (ex.plan !== null) return faulted(ex, status, JSON.stringify(body));
    sendJson(ex.res, status, body);
    finish(ex);
  };

  /** Runs `fn` when a fault decision arrives (at once on a synchronous store); its errors become the answer. */
  const whenDecided = (ex: Exchange, decision: Injection | null | Promise<Injection | null>, fn: (inj: Injection | null) => void) => {
    if (!isPromise(decision)) return fn(decision);
    decision.then((inj) => {
      try {
        fn(inj);
      } catch (e) {
        fail(ex, e);
      }
    }, (e) => fail(ex, e));
  };

  const submitted = (ex: Exchange, r: SubmitResult) => {
    ex.jobId = r.job.id;
    ex.creditsUsed = r.job.model.credits;
    answered(ex, 202, submitResponse(r.job, r.creditsLeft, origins.of(ex.req) + ex.mount));
  };

  const polled = (ex: Exchange, r: PollResult) => {
    const origin = origins.of(ex.req) + ex.mount;
    const job = r.job;
    // A finished job's answer never changes (until it expires, which the store checks): serialise it once.
    if (r.now >= job.finishedAt) {
      const cached = finished.get(job.id);
      let text: string;
      if (cached !== undefined && cached.origin === origin && cached.job === job) text = cached.text;
      else {
        text = JSON.stringify(viewOf(job, r.now, origin));
        if (finished.size >= FINISHED_CACHE) finished.delete(finished.keys().next().value!);
        finished.set(job.id, { origin, job, text });
      }
      ex.jobStatus = job.outcome;
      if (ex.plan !== null) return faulted(ex, 200, text);
      sendJsonText(ex.res, 200, text);
      return finish(ex);
    }
    const view = viewOf(job, r.now, origin);
    ex.jobStatus = view.status;
    answered(ex, 200, view);
  };

  function submit(ex: Exchange, kind: JobKind, body: Record<string, unknown>, base64Checked: ReadonlySet<string>): void {
    const scenario = requestScenario(ex, body);
    ex.scenario = scenario;
    const request = resolveSubmit(kind, body, deps.webhookPolicy, base64Checked);
    ex.modelId = request.model.id;
    const header = ex.req.headers[FAULT_HEADER] as string | undefined;
    if (!faults.active && header === undefined && ex.magicFault === null) return submitWith(ex, request, scenario, null);
    whenDecided(ex, faults.decide(ex.key, "submit", header, ex.magicFault), (inj) => submitWith(ex, request, scenario, inj));
  }

  function submitWith(ex: Exchange, request: SubmitRequest, scenario: ScenarioName | null, inj: Injection | null): void {
    let hide = 0;
    let webhookFault: JobWebhookFault | null = null;
    let fallback: ScenarioName | null = null;
    if (inj !== null) {
      if (CUT_FAULTS.has(inj.name)) {
        ex.plan = inj;
        return faulted(ex, 0, "");
      }
      if (inj.phase === "webhook") {
        if (!request.webhook) throw new ApiError("INVALID_REQUEST", `Fault ${inj.name} acts on the job's webhook: the submit needs a webhook_url.`);
        webhookFault = { name: inj.name, params: inj.params };
      } else if (inj.name === "poll_not_found") hide = inj.params.polls ?? 2;
      else if (inj.kind === "scenario") fallback = inj.name as ScenarioName;
      else ex.plan = inj;
    }
    const resolved = { scenario };
    let r: SubmitResult | Promise<SubmitResult>;
    try {
      r = store.submit({ key: ex.key!, request, scenario, origin: origins.of(ex.req) + ex.mount, fallbackScenario: fallback, webhookFault }, resolved);
    } finally {
      applied(ex, resolved.scenario, fallback, inj);
    }
    if (isPromise(r)) {
      r.then(
        (v) => (applied(ex, resolved.scenario, fallback, inj), accepted(ex, v, hide)),
        (e) => (applied(ex, resolved.scenario, fallback, inj), fail(ex, e)),
      );
    } else accepted(ex, r, hide);
  }

  /** The scenario the store applied; chaos's counts as a fault only when no header, magic host or arming named another. */
  const applied = (ex: Exchange, scenario: ScenarioName | null, fallback: ScenarioName | null, inj: Injection | null) => {
    ex.scenario = scenario;
    if (fallback !== null && scenario === fallback) ex.plan = inj;
  };

  /** A new job, hidden first from its next polls when poll_not_found was named at its submit. */
  const accepted = (ex: Exchange, v: SubmitResult, hide: number) => {
    if (hide === 0) return submitted(ex, v);
    const h = store.hideJob(v.job.id, hide);
    if (isPromise(h)) h.then(() => submitted(ex, v), (e) => fail(ex, e));
    else submitted(ex, v);
  };

  function poll(ex: Exchange, jobId: string, query: Record<string, unknown>): void {
    const scenario = headerScenario(ex.req);
    ex.scenario = scenario;
    const modelId = query.model_id as string;
    ex.modelId = modelId;
    ex.jobId = jobId;
    const model = findModel(modelId);
    if (!model) throw new ApiError("INVALID_MODEL", `Unknown model_id "${modelId}". GET /api/v1/models or /api/v1/vision for the model lists.`);
    const header = ex.req.headers[FAULT_HEADER] as string | undefined;
    if (!faults.active && header === undefined) return pollWith(ex, jobId, model, scenario, null);
    whenDecided(ex, faults.decide(ex.key, "poll", header, null), (inj) => pollWith(ex, jobId, model, scenario, inj));
  }

  function pollWith(ex: Exchange, jobId: string, model: Model, scenario: ScenarioName | null, inj: Injection | null): void {
    if (inj !== null) {
      if (inj.kind === "scenario") {
        // A header's own scenario wins over an armed or chaos one; only chaos's counts as an injected fault.
        if (scenario === null) {
          scenario = inj.name as ScenarioName;
          ex.scenario = scenario;
          if (inj.source === "chaos") ex.plan = inj;
        }
      } else {
        ex.plan = inj;
        if (CUT_FAULTS.has(inj.name)) return faulted(ex, 0, "");
        if (inj.name === "poll_not_found") throw jobNotFound(jobId, model.id);
      }
    }
    const r = store.poll({ key: ex.key!, jobId, model, scenario });
    if (isPromise(r)) r.then((v) => polled(ex, v), (e) => fail(ex, e));
    else polled(ex, r);
  }

  /** Everything after authorization: body, validation, the operation. */
  function run(ex: Exchange, op: GeneratedOperation, params: string[]): void {
    if (op.body !== null) {
      assertJsonContentType(ex.req);
      const validate = VALIDATORS[op.body]!;
      readJsonBody(ex.req, deps.bodyLimitBytes, (err, body, raw) => {
        try {
          if (err) throw err;
          if (raw) ex.bodyHash = bodyHash(raw);
          validateWith(validate, body!.value, "body");
          submit(ex, SUBMITS[op.operationId]!, body!.value as Record<string, unknown>, body!.base64Checked);
        } catch (e) {
          fail(ex, e);
        }
      });
      return;
    }
    let query: Record<string, unknown> = {};
    if (op.query !== null) {
      query = parseQuery(ex.query);
      validateWith(VALIDATORS[op.query]!, query, "query");
    }
    const catalog = catalogs[op.operationId];
    if (catalog) {
      sendJsonBuffer(ex.res, 200, catalog);
      return finish(ex);
    }
    if (op.operationId === "getJob") return poll(ex, decodeParam(params[0]!), query);
    throw new Error(`openapi.yaml operation ${op.operationId} has no handler`);
  }

  return function publicHandler(req, res) {
    const ex = new Exchange(req, res, wallNow());
    try {
      // Mounted by Express (createApp), req.url lost its mount points to req.baseUrl: "/api/v1", or
      // "/mock/api/v1" in a user's app at /mock. Paths are read relative to the mock, and the user's
      // part is kept for the URLs the mock hands out (poll_url, result images).
      const base = (req as { baseUrl?: string }).baseUrl;
      const url = base === undefined ? (req.url ?? "/") : API_PREFIX + (req.url ?? "/");
      if (base !== undefined) ex.mount = base.slice(0, base.length - API_PREFIX.length);
      const q = url.indexOf("?");
      ex.path = q === -1 ? url : url.slice(0, q);
      ex.query = q === -1 ? "" : url.slice(q + 1);
      const apiPath = ex.path.slice(API_PREFIX.length);
      const route = router.match(req.method ?? "GET", apiPath);
      if (!route) {
        const allow = router.allowed(apiPath);
        if (allow) throw new ApiError("METHOD_NOT_ALLOWED", `Method ${req.method} not allowed on ${apiPath}. Allowed: ${allow}.`, { Allow: allow });
        throw new ApiError("NOT_FOUND", `No route ${req.method} ${ex.path}.`);
      }
      ex.operation = route.op.operationId;
      if (!route.op.secured) return run(ex, route.op, route.params);
      ex.key = bearerKey(req);
      const authorized = store.authorize(ex.key);
      if (isPromise(authorized)) {
        authorized.then(
          () => {
            try {
              run(ex, route.op, route.params);
            } catch (e) {
              fail(ex, e);
            }
          },
          (e) => fail(ex, e),
        );
      } else run(ex, route.op, route.params);
    } catch (e) {
      fail(ex, e);
    }
  };
}

/** Path parameters arrive percent-encoded; a malformed escape is the client's error. */
function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ApiError("INVALID_REQUEST", "Malformed request.");
  }
}
