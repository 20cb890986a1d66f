import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/http/app.js";
import { createMockServer, type MockServer } from "../src/server.js";
import { CASES, KEY } from "./helpers/bad-request-table.js";
import { TRYON_BODY } from "./helpers/client.js";

/**
 * The public API has one implementation with two entry points: the
 * standalone server hands /api/v1 to the plain handler, and createApp()
 * mounts the same handler in a user's Express app. The same requests, in
 * the same order, on the same seed and a frozen clock, must get the same
 * status line, headers (all but Date) and body, byte for byte.
 */
interface Raw {
  status: string;
  headers: string[];
  body: Buffer;
}

const HOST = "mock.parity.test";

function send(port: number, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers: { Host: HOST, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const headers: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i]!.toLowerCase() !== "date") headers.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        resolve({ status: `${res.statusCode} ${res.statusMessage}`, headers, body: Buffer.concat(chunks) });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

type Step = { name: string; method: string; path: string; headers?: Record<string, string>; body?: unknown; raw?: string | Buffer; advance?: number };

const auth = (key: string | null | undefined): Record<string, string> => (key === null ? {} : { Authorization: `Bearer ${key ?? KEY}` });

/** The bad-request table, then a session that submits and polls its jobs through every state. */
function steps(): Step[] {
  const bad: Step[] = CASES.filter((c) => !c.path.startsWith("//")).map((c) => ({
    name: c.name, method: c.method, path: `/api/v1${c.path}`, headers: { ...auth(c.key), ...c.headers },
    ...(c.raw !== undefined ? { raw: c.raw } : c.body !== undefined ? { body: c.body } : {}),
  }));
  const k = { Authorization: `Bearer ${KEY}` };
  return [
    ...bad,
    { name: "try-on catalog", method: "GET", path: "/api/v1/models" },
    { name: "vision catalog, HEAD", method: "HEAD", path: "/api/v1/vision" },
    { name: "try-on submit", method: "POST", path: "/api/v1/tryon", headers: k, body: TRYON_BODY },
    { name: "vision submit", method: "POST", path: "/api/v1/vision", headers: k, body: { model_id: "florence-2-large/object-detection", image_url: "https://example.com/a.jpg" } },
    { name: "scenario header", method: "POST", path: "/api/v1/generate", headers: { ...k, "X-Mock-Scenario": "status_error" }, body: { prompt: "a coat" } },
    { name: "poll queued", method: "GET", path: "", headers: k },
    { name: "poll later", method: "GET", path: "", headers: k, advance: 4_000 },
    { name: "poll done", method: "GET", path: "", headers: k, advance: 60_000 },
    { name: "trailing slash and case", method: "GET", path: "/API/v1/Models/" },
  ];
}

describe("the standalone server and createApp() mounted in Express", () => {
  let plain: MockServer;
  let embedded: http.Server;
  let embeddedPort: number;
  let embeddedApp: ReturnType<typeof createApp>;
  beforeAll(async () => {
    const options = { seed: 11, timing: "realistic" as const };
    plain = await createMockServer(options);
    embeddedApp = createApp({ ...options, logLevel: "silent" });
    const outer = express();
    // The user's own app: its X-Powered-By is its own business, not the mock's.
    outer.disable("x-powered-by");
    outer.use(embeddedApp.app);
    embedded = http.createServer({ keepAliveTimeout: 5_000 }, outer);
    await new Promise<void>((r) => embedded.listen(0, "127.0.0.1", r));
    embeddedPort = (embedded.address() as AddressInfo).port;
    plain.freeze();
    embeddedApp.plane.freeze();
  });
  afterAll(async () => {
    await plain.close();
    await new Promise((r) => embedded.close(r));
  });

  it("answers every request of the behaviour tables byte for byte alike", async () => {
    const pollUrls: string[] = [];
    let compared = 0;
    for (const planned of steps()) {
      if (planned.advance) {
        plain.advance(planned.advance);
        embeddedApp.plane.advance(planned.advance);
      }
      // A poll step stands for a poll of every job submitted so far.
      for (const step of planned.path === "" ? pollUrls.map((p) => ({ ...planned, name: `${planned.name} ${p}`, path: p })) : [planned]) {
        const body = step.raw !== undefined ? Buffer.from(step.raw) : step.body !== undefined ? Buffer.from(JSON.stringify(step.body)) : undefined;
        const headers = { ...(step.body !== undefined ? { "Content-Type": "application/json" } : {}), ...step.headers };
        const [a, b] = [await send(plain.port, step.method, step.path, headers, body), await send(embeddedPort, step.method, step.path, headers, body)];
        expect({ step: step.name, ...b, body: b.body.toString("latin1") }).toEqual({ step: step.name, ...a, body: a.body.toString("latin1") });
        compared++;
        if (step.method === "POST" && a.status.startsWith("202")) {
          const url = new URL(JSON.parse(a.body.toString()).poll_url);
          pollUrls.push(url.pathname + url.search);
        }
      }
    }
    expect(pollUrls).toHaveLength(3);
    expect(compared).toBeGreaterThan(CASES.length + 10);
  });
});
