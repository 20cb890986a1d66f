import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "./logger.js";
import { findModel, tryonCatalogBody, visionCatalogBody, type JobKind } from "../domain/catalog.js";
import { ApiError, isApiError } from "../domain/errors.js";
import { viewOf, type Job } from "../domain/jobs.js";
import { maskKeysIn } from "../domain/keys.js";
import { scenarioFromImageUrl, type ScenarioName } from "../domain/scenarios.js";
import { submitResponse } from "../domain/submit-flow.js";
import { resolveSubmit } from "../domain/submit-rules.js";
import type { WebhookPolicy } from "../domain/webhook-policy.js";
import * as validators from "../spec/generated/request-validators.js";
import type { GeneratedOperation } from "../spec/generate.js";
import type { PollResult, Store, SubmitResult } from "../store/types.js";
import { assertJsonContentType, readJsonBody } from "./body.js";
import { Origins, bearerKey, headerScenario, parseScenario } from "./context.js";
import { parseQuery } from "./query.js";
import { Exchange, bodyHash } from "./exchange.js";
import { API_PREFIX, SpecRouter } from "./router.js";
import { sendError, sendJson, sendJsonBuffer, sendJsonText } from "./send.js";
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
}

export type PublicHandler = (req: IncomingMessage, res: ServerResponse) => void;

const SUBMITS: Record<string, JobKind> = { submitTryon: "tryon", submitVision: "vision", submitGenerate: "generate" };
const IMAGE_FIELDS = ["person_image_url", "garment_image_url", "image_url"];
const VALIDATORS = validators as unknown as Record<string, Validator>;
const FINISHED_CACHE = 1024;
const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => v instanceof Promise;

/** Header first, then a magic image host; arming is the store's fallback. */
function requestScenario(req: IncomingMessage, body: Record<string, unknown>): ScenarioName | null {
  const fromHeader = headerScenario(req);
  if (fromHeader) return fromHeader;
  for (const field of IMAGE_FIELDS) {
    const value = body[field];
    const magic = typeof value === "string" ? scenarioFromImageUrl(value) : null;
    if (magic) return parseScenario(magic.name, field);
  }
  return null;
}

/**
 * The public API (/api/v1/*) as one plain node handler, routed and validated
 * from the generated spec tables. The standalone server calls it directly;
 * createApp() mounts the same function in Express. With the memory store no
 * request waits on a promise.
 */
export function createPublicHandler(deps: PublicDeps): PublicHandler {
  const { store, logger } = deps;
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

  const fail = (ex: Exchange, err: unknown) => {
    const api = isApiError(err) ? err : null;
    if (!api) logger.error({ err, method: ex.req.method, path: maskKeysIn(ex.path) }, "unexpected error");
    const e = api ?? new ApiError("INTERNAL_ERROR");
    ex.errorCode = e.code;
    if (e.code === "RATE_LIMIT_EXCEEDED") ex.retryAfter = Number(e.headers["Retry-After"]);
    if (ex.res.headersSent) ex.res.destroy();
    else sendError(ex.res, e);
    finish(ex);
  };

  const answered = (ex: Exchange, status: number, body: unknown) => {
    sendJson(ex.res, status, body);
    finish(ex);
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
      sendJsonText(ex.res, 200, text);
      return finish(ex);
    }
    const view = viewOf(job, r.now, origin);
    ex.jobStatus = view.status;
    answered(ex, 200, view);
  };

  function submit(ex: Exchange, kind: JobKind, body: Record<string, unknown>, base64Checked: ReadonlySet<string>): void {
    const scenario = requestScenario(ex.req, body);
    ex.scenario = scenario;
    const request = resolveSubmit(kind, body, deps.webhookPolicy, base64Checked);
    ex.modelId = request.model.id;
    const resolved = { scenario };
    let r: SubmitResult | Promise<SubmitResult>;
    try {
      r = store.submit({ key: ex.key!, request, scenario, origin: origins.of(ex.req) + ex.mount }, resolved);
    } finally {
      ex.scenario = resolved.scenario;
    }
    if (isPromise(r)) {
      r.then(
        (v) => ((ex.scenario = resolved.scenario), submitted(ex, v)),
        (e) => ((ex.scenario = resolved.scenario), fail(ex, e)),
      );
    } else submitted(ex, r);
  }

  function poll(ex: Exchange, jobId: string, query: Record<string, unknown>): void {
    const scenario = headerScenario(ex.req);
    ex.scenario = scenario;
    const modelId = query.model_id as string;
    ex.modelId = modelId;
    ex.jobId = jobId;
    const model = findModel(modelId);
    if (!model) throw new ApiError("INVALID_MODEL", `Unknown model_id "${modelId}". GET /api/v1/models or /api/v1/vision for the model lists.`);
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
    const ex = new Exchange(req, res);
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
