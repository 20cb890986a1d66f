import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { maskKeysIn } from "../src/domain/keys.js";
import { OPTION_DOCS } from "../src/options.js";
import { createMockServer } from "../src/server.js";
import { createWebhookReceiver, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { raw, type RawReply } from "./helpers/raw-http.js";

/**
 * Issue 17, item 6: a session with webhooks (secrets set, a loopback receiver,
 * jobs completing, redeliveries, a deleted key, bad submits carrying a
 * secret), then every GET /__mock endpoint and the event stream, and every
 * log line. No webhook_secret, no admin token and no unmasked API key may
 * appear in any of them.
 */
const SECRET_A = "whsec_leakprobe_A7f3Q9zK2m";
const SECRET_B = "whsec_leakprobe_B1x8R4tL6n";
const TOKEN = "admintoken_leakprobe_93kd";
const K1 = "ae_test_leakprobe0001";
const K2 = "ae_live_leakprobe0002";
const K3 = "ae_test_leakprobe0003";
const SECRETS = [SECRET_A, SECRET_B, TOKEN];
const KEYS = [K1, K2, K3];
const VISION = { model_id: "moondream2", image_url: "https://example.com/p.jpg" };
const TRYON = { person_image_url: "https://example.com/person.jpg", garment_image_url: "https://example.com/tshirt.jpg", garment_type: "top" };
const MAIN = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

function expectNoLeak(where: string, text: string): void {
  for (const s of SECRETS) expect(text.includes(s), `${where} shows the secret ${s}:\n${text.slice(Math.max(0, text.indexOf(s) - 300), text.indexOf(s) + 100)}`).toBe(false);
  for (const key of KEYS) {
    for (const k of [key, key.replaceAll("_", "%5F")]) expect(text.includes(k), `${where} shows the key ${k} unmasked:\n${text.slice(Math.max(0, text.indexOf(k) - 300), text.indexOf(k) + 100)}`).toBe(false);
  }
}

/** Waits for I/O (a webhook arriving, a delivery settling) with a deadline; never a fixed sleep. */
async function until<T>(what: string, check: () => Promise<T | undefined>, deadlineMs = 10_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reads /__mock/events, replaying from the start, until an event we trigger after connecting arrives. */
async function readEvents(origin: string, admin: Record<string, string>, trigger: () => Promise<unknown>): Promise<string> {
  const ac = new AbortController();
  const res = await fetch(`${origin}/__mock/events`, { headers: { ...admin, "Last-Event-ID": "0" }, signal: ac.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  await trigger();
  const deadline = Date.now() + 10_000;
  while (!text.includes('"advanced_ms":1}')) {
    if (Date.now() > deadline) throw new Error(`no triggered event on the stream: ${text.slice(-500)}`);
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  ac.abort();
  return text;
}

/**
 * The session and the walk, over HTTP, for a mock at `origin`. Returns every
 * control-API answer (headers and body) by the path that produced it.
 */
async function sessionAndWalk(origin: string, receiver: WebhookReceiver): Promise<Map<string, string>> {
  const admin = { "X-Mock-Admin-Token": TOKEN };
  const json = { "Content-Type": "application/json" };
  const api = (key: string, method: string, path: string, body?: unknown, extra: Record<string, string> = {}) =>
    raw(origin, method, `/api/v1${path}`, { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : json), ...extra }, body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body));
  const mock = (method: string, path: string, body?: unknown) =>
    raw(origin, method, `/__mock${path}`, { ...admin, ...(body === undefined ? {} : json) }, body === undefined ? undefined : JSON.stringify(body));

  expect((await mock("POST", "/clock/freeze")).status).toBe(200);
  // The user put a key in their webhook URL: it is theirs to send, ours to mask.
  const a = await api(K1, "POST", "/vision", { ...VISION, webhook_url: `${receiver.url}/hooks/a?api_key=${K1}`, webhook_secret: SECRET_A });
  const b = await api(K2, "POST", "/generate", { prompt: "a red coat", webhook_url: `${receiver.url}/hooks/b`, webhook_secret: SECRET_B });
  const c = await api(K3, "POST", "/tryon", { ...TRYON, webhook_url: `${receiver.url}/hooks/c`, webhook_secret: SECRET_A });
  expect([a.status, b.status, c.status]).toEqual([202, 202, 202]);

  // Refused submits that carry a secret: a bad URL, an overlong secret, broken JSON.
  const badUrl = await api(K1, "POST", "/vision", { ...VISION, webhook_url: `ftp://127.0.0.1/?k=${K1}`, webhook_secret: SECRET_B });
  expect(badUrl.status).toBe(400);
  expect((await api(K1, "POST", "/vision", { ...VISION, webhook_url: `${receiver.url}/x`, webhook_secret: SECRET_B + "x".repeat(300) })).status).toBe(400);
  expect((await api(K2, "POST", "/vision", `{"image_url":"https://example.com/p.jpg","webhook_secret":"${SECRET_B}",`)).status).toBe(400);
  // Keys where no key belongs: a query parameter, the path, a malformed header.
  expect((await api(K2, "GET", `/jobs/nope?model_id=moondream2&api_key=${K2}`)).status).toBe(404);
  expect((await api(K1, "GET", `/jobs/${K1}?model_id=moondream2`)).status).toBe(404);
  expect((await api(K2, "GET", `/jobs/${K2.replaceAll("_", "%5F")}?model_id=moondream2&k=${K2.replaceAll("_", "%5F")}`)).status).toBe(404);
  expect((await raw(origin, "GET", "/api/v1/jobs/x?model_id=moondream2", { Authorization: `Token ${K1}` })).status).toBe(401);
  expect((await api(K1, "GET", `/jobs/${a.body.job_id}?model_id=moondream2`)).body.status).toBe("queued");

  // Every job completes and its signed webhook is delivered; then redeliveries, plain and tampered.
  expect((await mock("POST", "/clock/advance", { ms: 10 * 60_000 })).status).toBe(200);
  const settledDeliveries = async (n: number) => {
    const list = (await mock("GET", "/webhooks")).body.deliveries as { id: string; jobId: string; outcome: string }[];
    return list.length >= n && list.every((d) => d.outcome !== "pending") ? list : undefined;
  };
  const first = await until("3 settled deliveries", () => settledDeliveries(3));
  expect(first.map((d) => d.outcome)).toEqual(["delivered", "delivered", "delivered"]);
  const of = (job: { body: { job_id: string } }) => first.find((d) => d.jobId === job.body.job_id)!.id;
  expect((await mock("POST", `/webhooks/${of(a)}/redeliver`, {})).status).toBe(202);
  expect((await mock("POST", `/webhooks/${of(b)}/redeliver`, { tamper: "signature" })).status).toBe(202);
  await until("5 settled deliveries", () => settledDeliveries(5));
  expect(receiver.deliveries).toHaveLength(5);
  expect(receiver.deliveries.filter((d) => d.verification?.ok)).toHaveLength(3); // K2's secret differs from the receiver's, and one is tampered

  // Control calls that take a full key.
  expect((await mock("POST", "/scenarios", { scenario: "job_failed", key: K1, count: 2 })).status).toBe(201);
  expect((await mock("PUT", `/accounts/${K2}`, { credits: 77 })).status).toBe(200);
  expect((await mock("DELETE", `/accounts/${K3}`)).status).toBe(204);
  expect((await api(K3, "POST", "/vision", VISION)).status).toBe(401);

  const answers = new Map<string, string>();
  const keep = (path: string, r: RawReply) => answers.set(path, `${JSON.stringify(r.headers)}\n${r.text}`);
  // Error messages that echo what was asked for.
  const echoes: [string, RawReply, number][] = [
    ["POST /api/v1/vision with a bad webhook_url", badUrl, 400],
    ["GET /api/v1/nope/K1", await api(K1, "GET", `/nope/${K1}`), 404],
    ["GET /__mock/nope/K1", await mock("GET", `/nope/${K1}`), 404],
    ["GET /__mock/accounts/K1!", await mock("GET", `/accounts/${K1}!`), 400],
    ["GET /__mock/accounts/K3 (deleted)", await mock("GET", `/accounts/${K3}`), 404],
  ];
  for (const [label, r, status] of echoes) {
    expect(r.status, `${label}: ${r.text}`).toBe(status);
    keep(label, r);
  }
  expect(answers.get("GET /__mock/nope/K1")).toContain("/__mock/nope/ae_test_leak…0001");
  const ref2 = (await mock("GET", `/accounts/${K2}`)).body.key_ref as string;
  const paths = [
    "/health", "/clock", "/schedule", "/accounts", `/accounts/${K1}`, `/accounts/${ref2}`, "/scenarios",
    "/jobs", `/jobs?key=${K1}`, "/webhooks", `/webhooks?job_id=${a.body.job_id}`, "/requests?limit=1000", `/requests?key=${K2}`, "/export",
  ];
  for (const path of paths) {
    const r = await mock("GET", path);
    expect(r.status, `${path}: ${r.text}`).toBe(200);
    keep(path, r);
  }
  answers.set("/events", await readEvents(origin, admin, () => mock("POST", "/clock/advance", { ms: 1 })));

  // The walk saw the session, so a clean result means something.
  const all = [...answers.values()].join("\n");
  expect(all).toContain("ae_test_leak…0001");
  expect(all).toContain(`/hooks/a?api_key=ae_test_leak…0001`);
  // Deleting K3 took its job and delivery with it; the journal and the event stream still name it.
  expect(JSON.parse(answers.get("/export")!.split("\n")[1]!).deliveries).toHaveLength(4);
  expect(answers.get("/requests?limit=1000")).toContain("ae_test_leak…0003");
  for (const kind of ["event: delivery", "event: account", "event: job", "event: request", "event: scenario"]) expect(answers.get("/events")).toContain(kind);
  for (const d of receiver.deliveries) expectNoLeak(`the webhook body sent to ${d.path}`, d.rawBody);
  return answers;
}

describe("no secret leaves", () => {
  let receiver: WebhookReceiver | undefined;
  afterEach(() => receiver?.close());

  it("in-process: no /__mock answer, event or log line (pino at debug) shows a webhook_secret, the admin token or an unmasked API key", async () => {
    receiver = await createWebhookReceiver({ secret: SECRET_A });
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const server = await createMockServer({ adminToken: TOKEN, seed: 17 }, { logger: pino({ level: "debug", base: undefined }, sink) });
    try {
      const answers = await sessionAndWalk(server.origin, receiver);
      for (const [path, text] of answers) expectNoLeak(path.startsWith("/") ? `GET /__mock${path}` : path, text);
    } finally {
      await server.close();
    }
    const log = lines.join("");
    expect(log).toContain('"msg":"request"');
    expect(log).toContain(`"path":"/api/v1/jobs/ae_test_leak…0001"`);
    expect(log).toContain(`"path":"/api/v1/jobs/ae_live_leak…0002"`);
    expectNoLeak("the log", log);
  });

  it("from the CLI at LOG_LEVEL=debug: stdout and stderr from start to shutdown show none of them either", async () => {
    if (!existsSync(MAIN)) throw new Error("dist/cli/main.js is missing: run `npm run build` (npm test does it first)");
    receiver = await createWebhookReceiver({ secret: SECRET_A });
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "debug", MOCK_ADMIN_TOKEN: TOKEN };
    for (const d of OPTION_DOCS) if (d.env && d.env !== "LOG_LEVEL" && d.env !== "MOCK_ADMIN_TOKEN") delete env[d.env];
    const child = spawn(process.execPath, [MAIN, "serve", "--port", "0", "--seed", "17"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const origin = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", () => {
          const m = /ready: (http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(out);
          if (m) resolve(m[1]!);
        });
        void exited.then((code) => reject(new Error(`serve exited ${code}: ${err}`)));
      });
      const answers = await sessionAndWalk(origin, receiver);
      for (const [path, text] of answers) expectNoLeak(path.startsWith("/") ? `GET /__mock${path}` : path, text);
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
    expect(out).toContain("(token)");
    expect(out).toContain('"msg":"request"');
    expect(out).toContain("SIGTERM, shutting down");
    expectNoLeak("stdout", out);
    expectNoLeak("stderr", err);
  });
});

describe("maskKeysIn", () => {
  it("masks every key in a text, percent-encoded ones too, and leaves other text as it is", () => {
    expect(maskKeysIn(`/api/v1/jobs/${K1}`)).toBe("/api/v1/jobs/ae_test_leak…0001");
    expect(maskKeysIn(`a=${K1}&b=${K2}`)).toBe("a=ae_test_leak…0001&b=ae_live_leak…0002");
    expect(maskKeysIn(`k=${K2.replaceAll("_", "%5F")}&x=%20`)).toBe("k=ae_live_leak…0002&x= ");
    expect(maskKeysIn("model_id=fal-ai%2Fflux-pro&x=%E0%A4%A")).toBe("model_id=fal-ai%2Fflux-pro&x=%E0%A4%A");
    expect(maskKeysIn("ae_test_short")).toBe("ae_test_short");
  });
});
