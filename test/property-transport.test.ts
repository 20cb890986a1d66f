import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MockServer } from "../src/server.js";
import { startMock, TRYON_BODY, type TestClient } from "./helpers/client.js";
import { closeAgent, expectDocumented, expectStateAfter, expectStillServing, freshWindow, KEYS, rawRequest, rawSocket, sendableHeader, snapshot, triggersScenario } from "./property-support.js";

// Hostile headers, methods, paths and query strings against every public route, and unknown paths.
let server: MockServer;
let api: TestClient;
const jobs: { id: string; model: string; key: string }[] = [];
beforeAll(async () => {
  ({ server, api } = await startMock({ seed: 11 }));
  server.freeze();
  for (const key of KEYS) {
    const r = await api.post("/vision", { image_url: "https://example.com/p.jpg" }, { key });
    jobs.push({ id: r.body.job_id, model: r.body.model_id, key });
  }
});
afterAll(async () => {
  closeAgent();
  await server.close();
});

const ROUTES = [
  ["GET", "/api/v1/models"], ["GET", "/api/v1/vision"], ["POST", "/api/v1/tryon"], ["POST", "/api/v1/vision"],
  ["POST", "/api/v1/generate"], ["GET", "/api/v1/jobs/{job}"], ["GET", "/api/v1/nope"], ["GET", "/"],
] as const;
const BODIES: Record<string, unknown> = { "/api/v1/tryon": TRYON_BODY, "/api/v1/vision": { image_url: "https://example.com/p.jpg" }, "/api/v1/generate": { prompt: "a red coat" } };
/** Headers that frame the message or trigger scenarios are not the point here. */
const RESERVED = /^(content-length|transfer-encoding|connection|keep-alive|host|expect|upgrade|te|trailer|proxy-connection|x-mock-scenario|http2-settings)$/i;
const headerName = fc.oneof(fc.constantFrom("Authorization", "Content-Type", "Accept", "Accept-Charset", "Content-Encoding", "X-Forwarded-Host", "Cookie", "__proto__", "constructor"), fc.string({ minLength: 1, maxLength: 20 }));
const headerValue = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: "binary", maxLength: 30 }).map((s) => Buffer.from(s).toString("latin1")), fc.constantFrom("Bearer ae_test_propertykey01", "Bearer ", "Basic YTpi", "bearer ae_live_x", "application/json; charset=utf-32", "gzip", "br"));
const headers = fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }).map((pairs) => pairs.filter(([n, v]) => !RESERVED.test(n) && sendableHeader(n, v) && !triggersScenario(n + v)));
const authorization = fc.oneof(fc.constantFrom(...KEYS.map((k) => `Bearer ${k}`), "Bearer ae_test_unknownkey9", "Bearer", "Bearer ae_test_short", "ae_test_propertykey01", "Bearer ae_test_propertykey01 extra", ""), fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`));

describe("hostile headers, methods, paths and query strings", () => {
  it("answers every public route with a documented status whatever headers come along", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), headers, authorization, fc.boolean(), async ([method, template], extra, auth, getBody) => {
        freshWindow(server);
        const job = jobs[0]!;
        const path = template.replace("{job}", `${job.id}?model_id=${encodeURIComponent(job.model)}`);
        const h: Record<string, string> = {};
        if (sendableHeader("Authorization", auth)) h.Authorization = auth;
        for (const [n, v] of extra) h[n] = v;
        // A GET may carry a body too; it is ignored.
        const body = method === "POST" ? BODIES[template] : getBody ? { image_url: "https://example.com/p.jpg" } : undefined;
        if (body !== undefined && !Object.keys(h).some((n) => n.toLowerCase() === "content-type")) h["Content-Type"] = "application/json";
        // The key the server will see: the first Authorization header, if it is a well-formed bearer key.
        const sent = Object.entries(h).find(([n]) => n.toLowerCase() === "authorization")?.[1] ?? "";
        const key = /^Bearer\s+(ae_(?:live|test)_[A-Za-z0-9_]{8,200})\s*$/i.exec(sent)?.[1] ?? null;
        const before = snapshot(server, key ? [...KEYS, key] : KEYS);
        const r = await rawRequest(server, { method, path, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
        expectDocumented(r);
        expectStateAfter(server, before, r, key);
      }),
      { numRuns: 800 },
    );
    await expectStillServing(api);
  });

  it("answers any method on any path, hostile segments and query strings included, with a documented status", async () => {
    const segment = fc.oneof(
      fc.constantFrom("models", "vision", "tryon", "generate", "jobs", "Models", "JOBS", "..", ".", "", "%00", "%", "%ZZ", "%E0%A4", "%C0%AF", "__proto__", "constructor", "prototype", jobs[0]!.id, jobs[1]!.id),
      fc.string({ maxLength: 30 }).map(encodeURIComponent),
      fc.string({ minLength: 201, maxLength: 400 }).map(encodeURIComponent),
    );
    const prefix = fc.constantFrom("/api/v1", "/API/V1", "/api/V1/", "/api", "/api/v2", "", "/cdn/results", "//api/v1");
    const param = fc.tuple(
      fc.oneof(fc.constantFrom("model_id", "MODEL_ID", "__proto__", "constructor", "prototype", "model_id[]", "hasOwnProperty"), fc.string({ maxLength: 10 }).map(encodeURIComponent)),
      fc.oneof(fc.constantFrom("moondream2", "fal-ai/moondream2", "image-apps-v2%2Fvirtual-try-on", "", "%", "%ZZ", "%00", "constructor"), fc.string({ maxLength: 30 }).map(encodeURIComponent), fc.string({ minLength: 201, maxLength: 300 }).map(encodeURIComponent)),
    );
    const query = fc.option(fc.array(param, { maxLength: 4 }).map((ps) => ps.map(([k, v]) => `${k}=${v}`).join("&")));
    const method = fc.constantFrom("GET", "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND", "TRACE");
    await fc.assert(
      fc.asyncProperty(method, prefix, fc.array(segment, { maxLength: 4 }), query, fc.constantFrom(...KEYS), async (m, pre, segs, q, key) => {
        const path = `${pre}/${segs.join("/")}${q === null ? "" : `?${q}`}`;
        fc.pre(!path.toLowerCase().replace(/^\/+/, "/").startsWith("/__mock") && !triggersScenario(decodeURIComponentSafe(path)));
        freshWindow(server);
        const before = snapshot(server);
        const r = await rawRequest(server, { method: m, path, headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" }, body: m === "POST" ? "{}" : undefined });
        expectDocumented(r);
        expectStateAfter(server, before, r, key);
      }),
      { numRuns: 800 },
    );
    await expectStillServing(api);
  });

  it("answers malformed HTTP (bad bytes in the request line or headers, unknown methods) with a JSON 400, never a dropped socket", async () => {
    const noBreak = (s: string) => !/[\r\n]/.test(s);
    const token = fc.oneof(fc.constantFrom("GET", "POST", "FOO", "G\u0001T", "CONNECT", "PRI", "get"), fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 8 }).filter((s) => noBreak(s) && s !== "HEAD"));
    const target = fc.oneof(fc.constantFrom("/api/v1/vision", "*", "http://x/api/v1/vision", "example.com:443"), fc.string({ unit: "binary", maxLength: 40 }).filter(noBreak));
    const line = fc.tuple(fc.string({ unit: "binary", minLength: 1, maxLength: 12 }), fc.string({ unit: "binary", maxLength: 40 })).filter(([n, v]) => noBreak(n + v));
    await fc.assert(
      fc.asyncProperty(token, target, fc.array(line, { maxLength: 3 }), async (m, t, lines) => {
        fc.pre(!triggersScenario(t + lines.join("")) && !/^\/*__mock/i.test(t));
        const before = snapshot(server);
        const head = `${m} ${t} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEYS[0]}\r\n${lines.map(([n, v]) => `${n}: ${v}\r\n`).join("")}`;
        const r = await rawSocket(server, Buffer.from(`${head}Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`));
        if (r.status < 300) expect(r.body, "only a catalog GET may succeed").toHaveProperty("models");
        expectDocumented({ ...r, operationId: null }, { parserLevel: true });
        expect(snapshot(server)).toEqual(before);
      }),
      { numRuns: 400 },
    );
    await expectStillServing(api);
  });
});

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
