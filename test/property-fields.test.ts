import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MockServer } from "../src/server.js";
import { sharedValidators } from "../src/spec/validators.js";
import { startMock, TRYON_BODY, type TestClient } from "./helpers/client.js";
import { expectStateAfter, expectStillServing, freshWindow, KEYS, snapshot } from "./property-support.js";

// Every field of every request schema, read from openapi.yaml, given values of the wrong type,
// huge numbers, over-long strings, values outside its enum; and prototype-polluting keys.
const doc = sharedValidators().doc as any;
const schemas = doc.components.schemas as Record<string, any>;
const resolve = (s: any): any => (s.$ref ? resolve(schemas[s.$ref.split("/").pop()]) : s.allOf ? Object.assign({}, ...s.allOf.map(resolve), { ...s, allOf: undefined }) : s);
const ROUTES = { "/tryon": "TryonRequest", "/vision": "VisionRequest", "/generate": "GenerateRequest" } as const;
type Route = keyof typeof ROUTES;
const VALID: Record<Route, Record<string, string>> = { "/tryon": TRYON_BODY, "/vision": { image_url: "https://example.com/p.jpg" }, "/generate": { prompt: "a red coat" } };
const DEFAULTS: Record<Route, [string, number]> = { "/tryon": ["image-apps-v2/virtual-try-on", 15], "/vision": ["moondream2", 2], "/generate": ["flux-pro", 10] };
const FIELDS = Object.entries(ROUTES).flatMap(([route, name]) =>
  Object.entries(schemas[name].properties as Record<string, any>).map(([field, s]) => ({ route: route as Route, field, schema: resolve(s) })),
);

let server: MockServer;
let api: TestClient;
beforeAll(async () => {
  ({ server, api } = await startMock({ bodyLimitBytes: 256 * 1024, seed: 5 }));
  server.freeze();
});
afterAll(() => server.close());

/** Sends a body (an object, or raw JSON text) and checks the answer against the spec and the state rule. */
async function submit(route: Route, body: Record<string, unknown> | string, key: string) {
  freshWindow(server);
  const before = snapshot(server);
  const r = typeof body === "string" ? await api.request("POST", route, { raw: body, headers: { "Content-Type": "application/json" }, key }) : await api.post(route, body, { key });
  expectStateAfter(server, before, r, key);
  return r;
}

const expectFieldRejected = (r: { status: number; body: any }, field: string) => {
  expect(r.status).toBe(400);
  expect(r.body.code).toBe("INVALID_REQUEST");
  expect(r.body.error).toContain(`"${field}"`);
};

const fieldArb = fc.constantFrom(...FIELDS);
const key = fc.constantFrom(...KEYS);

describe("wrong values in every field of every request schema", () => {
  it("covers every documented field", () => {
    expect(FIELDS.map((f) => `${f.route} ${f.field}`)).toEqual(expect.arrayContaining(["/tryon person_image_url", "/tryon garment_type", "/vision task_type", "/vision object", "/generate prompt", "/generate webhook_secret"]));
    expect(FIELDS.every((f) => f.schema.type === "string")).toBe(true);
  });

  it("answers a value of the wrong JSON type in any field with 400 INVALID_REQUEST naming it", async () => {
    const wrong = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }), fc.string().map((s) => [s]));
    await fc.assert(
      fc.asyncProperty(fieldArb, wrong, key, async ({ route, field }, value, k) => {
        expectFieldRejected(await submit(route, { ...VALID[route], [field]: value }, k), field);
      }),
      { numRuns: 1200 },
    );
    await expectStillServing(api);
  });

  it("answers huge, tiny and overflowing numbers in any field with 400 naming it", async () => {
    const literal = fc.oneof(fc.constantFrom("1e400", "-1e400", "1e-400", "-0", "9007199254740993", "1.7976931348623157e308", "0.0000000000000000000000001"), fc.stringMatching(/^-?[1-9][0-9]{20,300}(\.[0-9]{1,50})?([eE][+-]?[0-9]{1,5})?$/));
    await fc.assert(
      fc.asyncProperty(fieldArb, literal, key, async ({ route, field }, n, k) => {
        const text = JSON.stringify({ ...VALID[route], [field]: "\u0000marker" }).replace('"\\u0000marker"', n);
        expectFieldRejected(await submit(route, text, k), field);
      }),
      { numRuns: 400 },
    );
    await expectStillServing(api);
  });

  it("answers strings over a field's maxLength or outside its enum with 400 naming it, and takes huge image URLs on their merits", async () => {
    await fc.assert(
      fc.asyncProperty(fieldArb, fc.integer({ min: 1, max: 100_000 }), fc.string({ minLength: 1, maxLength: 12 }), key, async ({ route, field, schema }, extra, piece, k) => {
        const huge = piece.repeat(Math.ceil((Number(schema.maxLength ?? 0) + extra) / piece.length));
        if (schema.maxLength !== undefined || schema.enum) {
          fc.pre(!schema.enum?.includes(huge.slice(0, 40)));
          expectFieldRejected(await submit(route, { ...VALID[route], [field]: schema.enum ? huge.slice(0, 40) : huge }, k), field);
        } else {
          // Image inputs have no length limit in the spec: an https URL that long is fine, anything else is refused.
          const url = `https://example.com/${encodeURIComponent(huge.slice(0, 50_000))}`;
          const asUrl = extra % 2 === 0;
          const r = await submit(route, { ...VALID[route], [field]: asUrl ? url : huge }, k);
          if (asUrl) expect(r.status).toBe(202);
          else expect(r.status).toBe(400);
        }
      }),
      { numRuns: 300 },
    );
    await expectStillServing(api);
  });
});

describe("prototype keys in request bodies", () => {
  const protoKeys = fc.subarray(["__proto__", "constructor", "prototype"], { minLength: 1 });
  const payload = fc.record({ model_id: fc.constantFrom("flux-2-lora-gallery/virtual-tryon", "llava-next", "nope"), credits: fc.integer(), polluted: fc.constant("yes"), isAdmin: fc.boolean() });
  const ownProps = Object.getOwnPropertyNames(Object.prototype).sort();

  it("ignores __proto__, constructor and prototype keys: the default model and price apply and nothing is polluted", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...(Object.keys(ROUTES) as Route[])), protoKeys, payload, fc.boolean(), key, async (route, keys, p, nested, k) => {
        const inject = keys.map((name) => `"${name}":${nested ? JSON.stringify({ prototype: p, __proto__x: p }).replace("__proto__x", "__proto__") : JSON.stringify(p)}`).join(",");
        const text = `{${inject},${JSON.stringify(VALID[route]).slice(1)}`;
        const r = await submit(route, text, k);
        expect(r.status).toBe(202);
        expect([r.body.model_id, r.body.credits_used]).toEqual(DEFAULTS[route]);
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(ownProps);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 400 },
    );
    await expectStillServing(api);
  });
});
