import { timingSafeEqual } from "node:crypto";
import express, { Router, type RequestHandler, type Response } from "express";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { ApiError } from "../domain/errors.js";
import { CHAOS_PROFILE_NAMES } from "../domain/chaos.js";
import { FAULT_NAMES } from "../domain/faults.js";
import { REGISTRY, REGISTRY_NAMES } from "../domain/registry.js";
import { PHASES, normaliseScenarioName } from "../domain/scenarios.js";
import { MAX_ADVANCE_MS, type ControlPlane } from "../control/plane.js";
import { runProbe } from "../doctor/probe.js";
import { DISABLED_REPORT } from "../doctor/report.js";
import type { MockRuntime } from "../runtime.js";
import { assertJsonContentType } from "./body.js";
import { maskSecrets } from "./mask.js";
import { sseHandler } from "./sse.js";
import { validateWith } from "./validate.js";

const ajv = new Ajv2020({ allErrors: false, allowUnionTypes: true });
const KEY = { type: "string", pattern: "^(ae_(live|test)_[A-Za-z0-9_]{8,200}|k_[0-9a-f]{12})$" };
const SCHEMAS = {
  reset: { type: "object", properties: { key: KEY }, additionalProperties: false },
  advance: {
    type: "object", additionalProperties: false,
    properties: { ms: { type: "integer", minimum: 0, maximum: MAX_ADVANCE_MS }, to: { const: "next" } },
    oneOf: [{ required: ["ms"] }, { required: ["to"] }],
  },
  account: { type: "object", required: ["credits"], properties: { credits: { type: "integer", minimum: 0, maximum: 1e12 } }, additionalProperties: false },
  // A scenario or a fault, by either field: both name entries of the one registry.
  arm: {
    type: "object", additionalProperties: false, oneOf: [{ required: ["scenario"] }, { required: ["fault"] }],
    properties: {
      scenario: { enum: REGISTRY_NAMES }, fault: { enum: REGISTRY_NAMES }, key: KEY, count: { type: "integer", minimum: 1, maximum: 1_000_000 },
      phase: { enum: PHASES }, params: { type: "object", additionalProperties: { type: ["string", "number"] } },
    },
  },
  chaos: {
    type: "object", additionalProperties: false,
    properties: {
      rate: { type: "number", minimum: 0, maximum: 1 }, profile: { enum: CHAOS_PROFILE_NAMES },
      params: { type: "object", propertyNames: { enum: FAULT_NAMES }, additionalProperties: { type: "object", additionalProperties: { type: ["string", "number"] } } },
    },
  },
  disarm: { type: "object", properties: { id: { type: "string" }, key: KEY }, additionalProperties: false },
  redeliver: { type: "object", properties: { tamper: { enum: ["signature", "timestamp", "body"] } }, additionalProperties: false },
  probe: { type: "object", properties: { webhooks: { type: "boolean" }, rate_limit_key: KEY }, additionalProperties: false },
} as const;
const V = Object.fromEntries(Object.entries(SCHEMAS).map(([k, s]) => [k, ajv.compile(s)])) as Record<keyof typeof SCHEMAS, ValidateFunction>;

/** An empty body is `{}`: control calls such as freeze or reset need no body. */
function body(name: keyof typeof SCHEMAS, prepare: (b: Record<string, unknown>) => void = () => {}): RequestHandler[] {
  const json = express.json({ limit: "64kb", strict: true, type: () => true });
  return [
    (req, _res, next) => {
      if (Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"]) assertJsonContentType(req);
      next();
    },
    json,
    (req, _res, next) => {
      req.body ??= {};
      if (typeof req.body === "object" && req.body !== null && !Array.isArray(req.body)) prepare(req.body as Record<string, unknown>);
      validateWith(V[name], req.body, "body");
      next();
    },
  ];
}

/** Every answer leaves with keys masked (and a key_ref beside each key), and no webhook secret. */
const send = (res: Response, status: number, value: unknown) => void res.status(status).json(maskSecrets(value));
const ok = (res: Response) => (value: unknown) => send(res, 200, value);

const optionalInt = (raw: unknown, name: string): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ApiError("INVALID_REQUEST", `Invalid query parameter "${name}": must be a non-negative integer.`);
  return n;
};
const optionalString = (raw: unknown) => (typeof raw === "string" && raw !== "" ? raw : undefined);

/** The /__mock control API: JSON, outside the public spec, guarded by --admin-token when set. */
export function controlRouter(rt: MockRuntime): Router {
  const plane: ControlPlane = rt.plane;
  const token = rt.options.adminToken;
  const router = Router();
  const key = async (raw: unknown) => plane.resolveKey(String(raw));
  router.use((req, _res, next) => {
    if (token === null) return next();
    const given = Buffer.from(String(req.headers["x-mock-admin-token"] ?? ""));
    const want = Buffer.from(token);
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw new ApiError("UNAUTHORIZED", "Missing or wrong X-Mock-Admin-Token header");
    next();
  });
  router.get("/health", (_req, res) => ok(res)(plane.health()));
  router.post("/reset", ...body("reset"), async (req, res) => {
    const k = req.body.key === undefined ? undefined : await key(req.body.key);
    await plane.reset(k);
    send(res, 200, { reset: k ?? "all" });
  });
  router.get("/clock", async (_req, res) => ok(res)(await plane.clock()));
  router.post("/clock/advance", ...body("advance"), async (req, res) => ok(res)(req.body.to === "next" ? await plane.advanceToNext() : await plane.advance(req.body.ms)));
  router.post("/clock/freeze", async (_req, res) => ok(res)(await plane.freeze()));
  router.post("/clock/resume", async (_req, res) => ok(res)(await plane.resume()));
  router.get("/schedule", async (req, res) => ok(res)(await plane.schedule(optionalInt(req.query.limit, "limit") ?? 100)));
  router.get("/accounts", async (_req, res) => ok(res)({ accounts: await plane.accounts() }));
  router.get("/accounts/:key", async (req, res) => ok(res)(await plane.getAccount(await key(req.params.key))));
  router.put("/accounts/:key", ...body("account"), async (req, res) => ok(res)(await plane.setAccount(await key(req.params.key), req.body.credits)));
  router.delete("/accounts/:key", async (req, res) => {
    await plane.deleteAccount(await key(req.params.key));
    res.status(204).end();
  });
  // `job-failed` names job_failed here too, as in the header and magic hosts.
  const spelling = (b: Record<string, unknown>) => {
    if (typeof b.scenario === "string") b.scenario = normaliseScenarioName(b.scenario);
    if (typeof b.fault === "string") b.fault = normaliseScenarioName(b.fault);
  };
  router.post("/scenarios", ...body("arm", spelling), async (req, res) => {
    const k = req.body.key === undefined ? null : await key(req.body.key);
    send(res, 201, await plane.armScenario(req.body.scenario ?? req.body.fault, k, req.body.count ?? 1, { phase: req.body.phase, params: req.body.params ?? null }));
  });
  router.get("/scenarios", async (_req, res) =>
    ok(res)({
      armed: await plane.listScenarios(),
      available: REGISTRY_NAMES,
      registry: REGISTRY.map((e) => ({
        name: e.name, kind: e.kind, outcome: e.outcome, magic_host: e.magicHost, phases: e.phases, beyond_docs: e.beyondDocs,
        params: Object.fromEntries(Object.entries(e.params).map(([p, d]) => [p, { default: d.default, min: d.min, max: d.max, help: d.help }])),
      })),
    }),
  );
  router.get("/faults", async (req, res) => ok(res)(await plane.faults(optionalInt(req.query.limit, "limit") ?? 1000)));
  router.get("/chaos", (_req, res) => ok(res)(plane.chaos()));
  router.put("/chaos", ...body("chaos"), (req, res) => ok(res)(plane.setChaos(req.body)));
  router.delete("/scenarios", ...body("disarm"), async (req, res) => {
    const filter = { ...req.body, ...(req.body.key === undefined ? {} : { key: await key(req.body.key) }) };
    ok(res)({ disarmed: await plane.disarm(filter) });
  });
  router.get("/jobs", async (req, res) => {
    const k = typeof req.query.key === "string" ? await key(req.query.key) : undefined;
    const status = optionalString(req.query.status) as "queued" | undefined;
    ok(res)(await plane.listJobs({ key: k, status, limit: optionalInt(req.query.limit, "limit"), offset: optionalInt(req.query.offset, "offset") }));
  });
  router.get("/webhooks", async (req, res) => ok(res)({ deliveries: await plane.webhooks(optionalString(req.query.job_id)) }));
  router.post("/webhooks/:id/redeliver", ...body("redeliver"), async (req, res) => send(res, 202, await plane.redeliver(req.params.id as string, req.body.tamper ?? null)));
  router.get("/requests", async (req, res) => {
    const q = req.query;
    const k = typeof q.key === "string" && q.key !== "" ? await key(q.key) : undefined;
    ok(res)(await plane.requests({
      limit: optionalInt(q.limit, "limit") ?? 100, method: optionalString(q.method), path: optionalString(q.path),
      statusClass: optionalString(q.status), key: k, scenario: optionalString(q.scenario), fault: optionalString(q.fault),
    }));
  });
  router.get("/export", async (_req, res) => {
    res.setHeader("Content-Disposition", 'attachment; filename="artemotion-mock-session.json"');
    ok(res)(await plane.export());
  });
  router.get("/events", sseHandler(rt));
  router.get("/doctor", async (req, res) => {
    const k = typeof req.query.key === "string" && req.query.key !== "" ? await key(req.query.key) : undefined;
    ok(res)(rt.doctor?.report(k) ?? DISABLED_REPORT);
  });
  router.post("/doctor/probe", ...body("probe"), async (req, res) => {
    const k = req.body.rate_limit_key === undefined ? null : await key(req.body.rate_limit_key);
    ok(res)(await runProbe(plane, { webhooks: req.body.webhooks ?? true, rateLimitKey: k }));
  });
  router.use((req) => {
    throw new ApiError("NOT_FOUND", `No control route ${req.method} /__mock${req.path}.`);
  });
  return router;
}
