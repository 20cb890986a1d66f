import express, { Router, type Request, type RequestHandler, type Response } from "express";
import { tryonCatalogBody, visionCatalogBody, type JobKind } from "../domain/catalog.js";
import { ApiError } from "../domain/errors.js";
import { scenarioFromImageUrl } from "../domain/scenarios.js";
import type { MockService } from "../domain/service.js";
import { expressPath } from "../spec/load.js";
import type { SpecValidators } from "../spec/validators.js";
import { bearerKey, headerScenario, originOf, parseScenario } from "./context.js";
import { sendJson } from "./send.js";
import { assertJsonContentType, rejectInvalidUtf8, validateWith } from "./validate.js";

interface Deps {
  service: MockService;
  validators: SpecValidators;
  publicUrl: string | null;
  bodyLimitBytes: number;
}

/** A synchronous step of an operation; it throws ApiError to answer. */
type Step = (req: Request, res: Response) => void;

/** Runs steps as one Express handler: one router dispatch per request instead of one per step. */
const runSteps = (steps: Step[]): RequestHandler => (req, res) => {
  for (const step of steps) step(req, res);
};

/** The same, for steps that come before the body parser. */
const thenNext = (steps: Step[]): RequestHandler => (req, res, next) => {
  for (const step of steps) step(req, res);
  next();
};

/** Registered with the full prefix: a mounted sub-router costs a second dispatch per request. */
export const API_PREFIX = "/api/v1";

const SUBMITS: Record<string, JobKind> = { submitTryon: "tryon", submitVision: "vision", submitGenerate: "generate" };
const IMAGE_FIELDS = ["person_image_url", "garment_image_url", "image_url"];

/** Header first, then a magic image host; arming is the service's fallback. */
function requestScenario(req: express.Request, body: Record<string, unknown>) {
  const fromHeader = headerScenario(req);
  if (fromHeader) return fromHeader;
  for (const field of IMAGE_FIELDS) {
    const magic = typeof body[field] === "string" ? scenarioFromImageUrl(body[field] as string) : null;
    if (magic) return parseScenario(magic.name, field);
  }
  return null;
}

/**
 * The public API, built from openapi.yaml: one route per operation, each
 * authenticated and validated against the spec before its handler runs.
 */
export function publicRouter(deps: Deps): Router {
  const { service, validators } = deps;
  const router = Router();
  const json = express.json({ limit: deps.bodyLimitBytes, strict: true, type: () => true, verify: rejectInvalidUtf8 });

  // The catalogs never change at run time: built once, at start-up.
  const tryonCatalog = tryonCatalogBody();
  const visionCatalog = visionCatalogBody();
  const handlers: Record<string, Step> = {
    listModels: (_req, res) => sendJson(res, 200, tryonCatalog),
    listVisionModels: (_req, res) => sendJson(res, 200, visionCatalog),
    getJob: (req, res) => {
      const view = service.poll({
        key: res.locals.key as string,
        jobId: req.params.job_id as string,
        modelId: (res.locals.query as { model_id: string }).model_id,
        origin: originOf(req, deps.publicUrl),
        scenario: (res.locals.scenario = headerScenario(req)),
      });
      sendJson(res, 200, view);
    },
  };
  for (const [opId, kind] of Object.entries(SUBMITS)) {
    handlers[opId] = (req, res) => {
      const body = req.body as Record<string, unknown>;
      // `resolved` is filled even when submit throws, so the journal names an armed scenario that answered 4xx/5xx.
      const resolved = { scenario: requestScenario(req, body) };
      try {
        sendJson(res, 202, service.submit({ key: res.locals.key as string, kind, body, origin: originOf(req, deps.publicUrl), scenario: resolved.scenario }, resolved));
      } finally {
        res.locals.scenario = resolved.scenario;
      }
    };
  }

  for (const op of validators.operations) {
    const beforeBody: Step[] = [];
    const afterBody: Step[] = [];
    if (op.secured) {
      beforeBody.push((req, res) => {
        const key = bearerKey(req);
        service.authenticate(key);
        res.locals.key = key;
      });
    }
    const bodyFn = validators.requestBody(op.operationId);
    if (bodyFn) {
      beforeBody.push(assertJsonContentType);
      afterBody.push((req) => validateWith(bodyFn, req.body, "body"));
    }
    const queryFn = validators.query(op.operationId);
    // Express 5 re-parses req.query on every read, so it is parsed once here and handlers read
    // res.locals.query. Repeated parameters arrive as arrays; the spec's string schema rejects them.
    if (queryFn) {
      afterBody.push((req, res) => {
        const query = (res.locals.query = { ...(req.query as object) });
        validateWith(queryFn, query, "query");
      });
    }
    const handler = handlers[op.operationId];
    if (!handler) throw new Error(`openapi.yaml operation ${op.operationId} has no handler`);
    afterBody.push(handler);
    const path = API_PREFIX + expressPath(op.path);
    if (bodyFn) router[op.method](path, thenNext(beforeBody), json, runSteps(afterBody));
    else router[op.method](path, runSteps([...beforeBody, ...afterBody]));
  }

  // A known path with another method is 405 with Allow; anything else is 404.
  router.use(API_PREFIX, (req, _res, next) => {
    const allow = validators.operationsOnPath(req.path).map((o) => o.method.toUpperCase()).join(", ");
    if (allow) next(new ApiError("METHOD_NOT_ALLOWED", `Method ${req.method} not allowed on ${req.path}. Allowed: ${allow}.`, { Allow: allow }));
    else next(new ApiError("NOT_FOUND", `No route ${req.method} ${req.baseUrl}${req.path}.`));
  });
  return router;
}
