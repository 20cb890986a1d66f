import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { MockServer } from "../src/server.js";
import { createWebhookReceiver, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { assertMatchesSpec, TestClient } from "./helpers/client.js";

// The real CLI in a child process (npm test builds dist/ first).
const MAIN = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const KEY = "ae_test_shutdown0001";
/** The acceptance line: exit 0 within 2 s of the signal. */
const EXIT_WITHIN_MS = 2_000;

interface Served {
  child: ChildProcess;
  api: TestClient;
  port: number;
  /** Resolves with the first stdout line matching `re`. */
  line(re: RegExp): Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const children: ChildProcess[] = [];
const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function serve(...args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [MAIN, "serve", "--port", "0", "--log-level", "silent", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  const line = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(out);
        if (m) {
          child.stdout!.off("data", check);
          resolve(m);
        }
      };
      child.stdout!.on("data", check);
      void exited.then(() => reject(new Error(`exited before printing ${re}; stdout: ${out} stderr: ${err}`)));
      check();
    });
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const ready = await line(/artemotion-mock ready: (http:\/\/127\.0\.0\.1:(\d+)\/api\/v1)/);
  const baseUrl = ready[1]!;
  return { child, api: new TestClient({ baseUrl } as MockServer, KEY), port: Number(ready[2]), line, exited };
}

const refused = (port: number) =>
  new Promise<string>((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("connect", () => {
      s.destroy();
      resolve("connected");
    });
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });

describe("graceful shutdown of the CLI server", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("on %s stops accepting, gives up on a hanging webhook delivery and exits 0 within 2 s", async (signal) => {
    const receiver = await createWebhookReceiver({ respond: () => "hang" });
    receivers.push(receiver);
    const mock = await serve("--timing", "instant");
    const submit = await mock.api.post("/vision", { image_url: "https://example.com/p.jpg", webhook_url: receiver.url });
    expect(submit.status).toBe(202);
    await receiver.waitFor((d) => (d.body as { request_id?: string } | null)?.request_id === submit.body.job_id);

    const sentAt = performance.now();
    mock.child.kill(signal);
    await mock.line(new RegExp(`${signal}, shutting down`));
    expect(await refused(mock.port)).toBe("ECONNREFUSED");
    const exit = await mock.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - sentAt).toBeLessThan(EXIT_WITHIN_MS);
  });

  it("answers a request whose body is still arriving when SIGTERM comes, then exits 0 within 2 s", async () => {
    const mock = await serve();
    const body = Buffer.from(JSON.stringify({ image_url: "https://example.com/p.jpg", prompt: "x".repeat(3000) }));
    const headers = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json", "Content-Length": body.length, Expect: "100-continue" };
    const req = http.request({ host: "127.0.0.1", port: mock.port, method: "POST", path: "/api/v1/vision", headers });
    const reply = new Promise<{ status: number; headers: Record<string, string>; body: unknown }>((resolve, reject) => {
      req.on("error", reject);
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers as Record<string, string>, body: JSON.parse(text) }));
      });
    });
    req.flushHeaders();
    // 100 Continue: the server has the request and is reading its body.
    await once(req, "continue");
    req.write(body.subarray(0, 1000));
    const sentAt = performance.now();
    mock.child.kill("SIGTERM");
    await mock.line(/SIGTERM, shutting down/);
    req.end(body.subarray(1000));

    const r = await reply;
    expect(r.status).toBe(202);
    assertMatchesSpec("submitVision", r.status, r.headers, r.body);
    // Told to hang up, so the server need not wait out keep-alive before exiting.
    expect(r.headers.connection).toBe("close");
    const exit = await mock.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - sentAt).toBeLessThan(EXIT_WITHIN_MS);
  });
});
