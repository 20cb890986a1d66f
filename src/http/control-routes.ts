import { timingSafeEqual } from "node:crypto";
import express, { Router, type RequestHandler } from "express";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { ControlPlane } from "../control/plane.js";
import { ApiError } from "../domain/errors.js";
import { SCENARIO_NAMES, normaliseScenarioName, type ScenarioName } from "../domain/scenarios.js";
import type { MockApp } from "./app.js";
import { requireJson, validateWith } from "./validate.js";

const ajv = new Ajv2020({ allErrors: false });
const KEY = { type: "string", pattern: "^ae_(live|test)_[A-Za-z0-9_]{8,200}$" };
const SCHEMAS = {
  reset: { type: "object", properties: { key: KEY }, additionalProperties: false },
  advance: { type: "object", required: ["ms"], properties: { ms: { type: "integer", minimum: 0, maximum: 366 * 24 * 3600 * 1000 } }, additionalProperties: false },
  account: { type: "object", required: ["credits"], properties: { credits: { type: "integer", minimum: 0, maximum: 1e12 } }, additionalProperties: false },
  arm: {
    type: "object", required: ["scenario"], additionalProperties: false,
    properties: { scenario: { enum: SCENARIO_NAMES }, key: KEY, count: { type: "integer", minimum: 1, maximum: 1_000_000 } },
  },
  disarm: { type: "object", properties: { id: { type: "string" }, key: KEY }, additionalProperties: false },
  redeliver: { type: "object", properties: { tamper: { enum: ["signature", "timestamp", "body"] } }, additionalProperties: false },
} as const;
const V = Object.fromEntries(Object.entries(SCHEMAS).map(([k, s]) => [k, ajv.compile(s)])) as Record<keyof typeof SCHEMAS, ValidateFunction>;

/** An empty body is `{}`: control calls such as freeze or reset need no body. */
function body(name: keyof typeof SCHEMAS, prepare: (b: Record<string, unknown>) => void = () => {}): RequestHandler[] {
  const json = express.json({ limit: "64kb", strict: true, type: () => true });
  return [
    (req, res, next) => (Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] ? requireJson(req, res, next) : next()),
    json,
    (req, _res, next) => {
      req.body ??= {};
      if (typeof req.body === "object" && req.body !== null && !Array.isArray(req.body)) prepare(req.body as Record<string, unknown>);
      validateWith(V[name], req.body, "body");
      next();
    },
  ];
}

function keyParam(raw: string): string {
  if (!new RegExp(KEY.pattern).test(raw)) throw new ApiError("INVALID_REQUEST", `Invalid key "${raw}": must look like ae_test_xxxxxxxx.`);
  return raw;
}

/** The /__mock control API: JSON, outside the public spec, guarded by --admin-token when set. */
export function controlRouter(mock: MockApp): Router {
  const plane = new ControlPlane(mock);
  const token = mock.options.adminToken;
  const router = Router();
  router.use((req, _res, next) => {
    if (token === null) return next();
    const given = Buffer.from(String(req.headers["x-mock-admin-token"] ?? ""));
    const want = Buffer.from(token);
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw new ApiError("UNAUTHORIZED", "Missing or wrong X-Mock-Admin-Token header");
    next();
  });
  router.get("/health", (_req, res) => void res.json(plane.health()));
  router.post("/reset", ...body("reset"), (req, res) => {
    plane.reset(req.body.key);
    res.json({ reset: req.body.key ?? "all" });
  });
  router.get("/clock", (_req, res) => void res.json(plane.clock()));
  router.post("/clock/advance", ...body("advance"), (req, res) => void res.json(plane.advance(req.body.ms)));
  router.post("/clock/freeze", (_req, res) => void res.json(plane.freeze()));
  router.post("/clock/resume", (_req, res) => void res.json(plane.resume()));
  router.get("/accounts/:key", (req, res) => void res.json(plane.getAccount(keyParam(req.params.key as string))));
  router.put("/accounts/:key", ...body("account"), (req, res) => void res.json(plane.setAccount(keyParam(req.params.key as string), req.body.credits)));
  router.delete("/accounts/:key", (req, res) => {
    plane.deleteAccount(keyParam(req.params.key as string));
    res.status(204).end();
  });
  // `job-failed` names job_failed here too, as in the header and magic hosts.
  const spelling = (b: Record<string, unknown>) => {
    if (typeof b.scenario === "string") b.scenario = normaliseScenarioName(b.scenario);
  };
  router.post("/scenarios", ...body("arm", spelling), (req, res) => {
    res.status(201).json(plane.armScenario(req.body.scenario as ScenarioName, req.body.key ?? null, req.body.count ?? 1));
  });
  router.get("/scenarios", (_req, res) => void res.json({ armed: plane.listScenarios(), available: SCENARIO_NAMES }));
  router.delete("/scenarios", ...body("disarm"), (req, res) => void res.json({ disarmed: plane.disarm(req.body) }));
  router.get("/jobs", (req, res) => {
    const key = typeof req.query.key === "string" ? keyParam(req.query.key) : undefined;
    res.json({ jobs: plane.jobs(key) });
  });
  router.get("/webhooks", (req, res) => {
    res.json({ deliveries: plane.webhooks(typeof req.query.job_id === "string" ? req.query.job_id : undefined) });
  });
  router.post("/webhooks/:id/redeliver", ...body("redeliver"), (req, res) => {
    res.status(202).json(plane.redeliver(req.params.id as string, req.body.tamper ?? null));
  });
  router.get("/requests", (req, res) => {
    const raw = req.query.limit;
    const limit = raw === undefined ? 100 : Number(raw);
    if (!Number.isInteger(limit) || limit < 0) throw new ApiError("INVALID_REQUEST", 'Invalid query parameter "limit": must be a non-negative integer.');
    res.json(plane.requests(limit));
  });
  router.use((req) => {
    throw new ApiError("NOT_FOUND", `No control route ${req.method} /__mock${req.path}.`);
  });
  return router;
}
