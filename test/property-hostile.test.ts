import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MockServer } from "../src/server.js";
import { startMock, type TestClient } from "./helpers/client.js";
import { closeAgent, expectDocumented, expectStateAfter, expectStillServing, freshWindow, KEYS, rawRequest, sendableHeader, snapshot, triggersScenario } from "./property-support.js";

// Hostile bytes against the submit routes: arbitrary bodies and content types,
// invalid UTF-8, nesting 10,000 deep, bodies over the limit.
const LIMIT = 64 * 1024;
const SUBMITS = ["/tryon", "/vision", "/generate"] as const;
const VALID: Record<(typeof SUBMITS)[number], string> = {
  "/tryon": '{"person_image_url":"https://example.com/p.jpg","garment_image_url":"https://example.com/g.jpg"',
  "/vision": '{"image_url":"https://example.com/p.jpg"',
  "/generate": '{"prompt":"a red coat"',
};

let server: MockServer;
let api: TestClient;
beforeAll(async () => {
  ({ server, api } = await startMock({ bodyLimitBytes: LIMIT, seed: 7 }));
  server.freeze();
  for (const key of KEYS) server.setAccount(key, 1000);
});
afterAll(async () => {
  closeAgent();
  await server.close();
});

const route = fc.constantFrom(...SUBMITS);
const key = fc.constantFrom(...KEYS);
const jsonType = fc.constantFrom("application/json", "application/json; charset=utf-8", "application/vnd.api+json", "APPLICATION/JSON");
const anyType = fc.oneof(jsonType, fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/json; charset=utf-16"), fc.string({ unit: "binary-ascii", maxLength: 40 }).filter((s) => sendableHeader("Content-Type", s)));

/** Bytes that are never valid UTF-8 (lone continuation, truncated sequences, overlongs, surrogates, 0xFE/0xFF). */
const invalidUtf8 = fc.constantFrom([0x80], [0xbf], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe], [0xff]).map((b) => Buffer.from(b));

/** POSTs through node:http (chunked or with a length) and checks answer and state. */
async function postHostile(path: string, body: Buffer, contentType: string, k: string, chunked = false) {
  freshWindow(server);
  const before = snapshot(server);
  const r = await rawRequest(server, { method: "POST", path: `/api/v1${path}`, body, chunked, headers: { "Content-Type": contentType, Authorization: `Bearer ${k}` } });
  expectDocumented(r);
  expectStateAfter(server, before, r, k);
  return r;
}

describe("hostile request bodies", () => {
  it("answers any bytes under any content type with a documented 4xx and changes nothing", async () => {
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)), fc.json({ maxDepth: 4 }).map((s) => Buffer.from(s)), fc.string({ unit: "grapheme", maxLength: 200 }).map((s) => Buffer.from(s)));
    await fc.assert(
      fc.asyncProperty(route, bytes, anyType, key, fc.boolean(), async (path, body, type, k, chunked) => {
        fc.pre(!triggersScenario(body.toString("latin1")));
        await postHostile(path, body, type, k, chunked);
      }),
      { numRuns: 700 },
    );
    await expectStillServing(api);
  });

  it("rejects a body with invalid UTF-8 anywhere in it, even inside an otherwise valid request", async () => {
    await fc.assert(
      fc.asyncProperty(route, invalidUtf8, fc.nat(), key, async (path, bad, at, k) => {
        const valid = Buffer.from(`${VALID[path]},"note":"caf\u00e9 ok"}`);
        const i = 1 + (at % (valid.length - 1));
        const body = Buffer.concat([valid.subarray(0, i), bad, valid.subarray(i)]);
        const r = await postHostile(path, body, "application/json", k);
        expect(r.status).toBe(400);
        expect(r.body.code).toBe("INVALID_REQUEST");
      }),
      { numRuns: 300 },
    );
    await expectStillServing(api);
  });

  it("survives JSON nested up to 10,000 levels deep, at the top, in a known field or in an ignored one", async () => {
    const depth = fc.oneof(fc.constant(10_000), fc.integer({ min: 500, max: 10_000 }));
    const where = fc.constantFrom("top", "known", "ignored", "unclosed");
    await fc.assert(
      fc.asyncProperty(route, depth, fc.constantFrom("array", "object"), where, key, async (path, n, shape, at, k) => {
        const [open, close] = shape === "array" ? ["[", "]"] : ['{"a":', "}"];
        const deep = open.repeat(n) + "1" + close.repeat(at === "unclosed" ? n - 1 : n);
        const field = path === "/generate" ? "prompt" : path === "/vision" ? "image_url" : "person_image_url";
        const text = at === "top" || at === "unclosed" ? deep : at === "known" ? `${VALID[path]},"${field}":${deep}}` : `${VALID[path]},"extra":${deep}}`;
        const r = await postHostile(path, Buffer.from(text), "application/json", k);
        // Deep nesting under an ignored field is a valid request; everything else is refused.
        expect(r.status).toBe(at === "ignored" ? 202 : 400);
      }),
      { numRuns: 150 },
    );
    await expectStillServing(api);
  });

  it("answers 413 PAYLOAD_TOO_LARGE to any body over the limit, with a Content-Length or chunked", async () => {
    await fc.assert(
      fc.asyncProperty(route, fc.integer({ min: LIMIT + 1, max: LIMIT * 2 }), fc.boolean(), key, async (path, size, chunked, k) => {
        const head = `${VALID[path]},"pad":"`;
        const body = Buffer.from(head + "x".repeat(size - head.length - 2) + '"}');
        const r = await postHostile(path, body, "application/json", k, chunked);
        expect([r.status, r.body.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
      }),
      { numRuns: 150 },
    );
    await expectStillServing(api);
  });
});
