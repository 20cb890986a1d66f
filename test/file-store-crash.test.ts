import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/server.js";
import { createWebhookReceiver, type WebhookReceiver } from "../src/webhooks/receiver.js";
import { TestClient, TRYON_BODY } from "./helpers/client.js";
import { tempStateDir } from "./helpers/stores.js";

// The real CLI in a child process (npm test builds dist/ first).
const MAIN = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const KEY = "ae_test_filecrash001";
/** The promise: after kill -9, at most the last second of accepted changes is lost. */
const LOSS_WINDOW_MS = 1_000;

const children: ChildProcess[] = [];
const receivers: WebhookReceiver[] = [];
const servers: MockServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = tempStateDir();
  dirs.push(d);
  return d;
}

interface Served {
  child: ChildProcess;
  api: TestClient;
  origin: string;
  stdout: () => string;
  exited: Promise<void>;
}

async function serve(...args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [MAIN, "serve", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /artemotion-mock ready: (http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(out);
      if (m) resolve(m);
    });
    void exited.then(() => reject(new Error(`exited before ready; stdout: ${out} stderr: ${err}`)));
  });
  const origin = ready[1]!;
  return { child, api: new TestClient({ baseUrl: `${origin}/api/v1` } as MockServer, KEY), origin, stdout: () => out, exited };
}

describe("the file store under kill -9", () => {
  it("keeps every job accepted more than 1 s before the kill: each polls after a restart, and the balance pays for exactly the jobs kept", async () => {
    const dir = newDir();
    const flags = ["--store", `file:${dir}`, "--rate-limits", "off", "--credits", "100000", "--log-level", "silent"];
    const first = await serve(...flags);
    const accepted: { id: string; pollUrl: string; at: number }[] = [];
    const until = performance.now() + 1_500;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        while (performance.now() < until) {
          const r = await first.api.post("/tryon", TRYON_BODY);
          expect(r.status).toBe(202);
          accepted.push({ id: r.body.job_id, pollUrl: r.body.poll_url, at: performance.now() });
        }
      }),
    );
    const killedAt = performance.now();
    first.child.kill("SIGKILL");
    await first.exited;

    const second = await serve(...flags);
    const kept = new Set<string>();
    for (const job of accepted) {
      const r = await second.api.poll(job.pollUrl.replace(first.origin, second.origin));
      if (r.status === 200) {
        expect(r.body.job_id).toBe(job.id);
        kept.add(job.id);
      } else expect(r.status).toBe(404);
    }
    const lost = accepted.filter((j) => !kept.has(j.id));
    const window = lost.length ? killedAt - Math.min(...lost.map((j) => j.at)) : 0;
    expect(window, `${lost.length} of ${accepted.length} jobs lost`).toBeLessThanOrEqual(LOSS_WINDOW_MS);
    expect(accepted.length).toBeGreaterThan(50);

    const account = await fetch(`${second.origin}/__mock/accounts/${KEY}`).then((r) => r.json() as Promise<{ credits: number; jobs: number }>);
    expect(account).toMatchObject({ credits: 100_000 - 15 * kept.size, jobs: kept.size });
  });

  it("starts after a torn last line, logging a warning that names the file", async () => {
    const dir = newDir();
    const flags = ["--store", `file:${dir}`, "--log-level", "warn"];
    const first = await serve(...flags);
    expect((await first.api.post("/tryon", TRYON_BODY)).status).toBe(202);
    first.child.kill("SIGTERM");
    await first.exited;
    const log = readdirSync(dir).find((f) => f.startsWith("log-"))!;
    appendFileSync(join(dir, log), '{"t":"job","ids":2,"row":["5f0c');
    const second = await serve(...flags);
    expect(second.stdout()).toContain(`skipped 1 unreadable line(s) at the end`);
    expect(second.stdout()).toContain(log);
    const account = await fetch(`${second.origin}/__mock/accounts/${KEY}`).then((r) => r.json() as Promise<{ credits: number; jobs: number }>);
    expect(account).toMatchObject({ credits: 985, jobs: 1 });
  });

  it("exits 2 naming the path when file:PATH is a file, not a directory", async () => {
    const dir = newDir();
    const file = join(dir, "state.json");
    appendFileSync(file, "{}");
    const child = spawn(process.execPath, [MAIN, "serve", "--port", "0", "--store", `file:${file}`], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let err = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code).toBe(2);
    expect(err).toContain(`cannot open store file:${file}: ${file} is a file`);
  });
});

describe("webhooks across a restart", () => {
  it("sends a webhook that fell due while the mock was down once it is back, and never again after another restart", async () => {
    const receiver = await createWebhookReceiver();
    receivers.push(receiver);
    const dir = newDir();
    let wall = Date.UTC(2026, 0, 1);
    const options = { store: `file:${dir}` as const, wallNow: () => wall, timing: "fast" as const };
    const first = await createMockServer(options);
    const submitted = await new TestClient(first, KEY).post("/tryon", { ...TRYON_BODY, webhook_url: receiver.url });
    expect(submitted.status).toBe(202);
    await first.close();
    expect(receiver.deliveries).toHaveLength(0);

    // Down for a minute of wall time: the job finished meanwhile; nothing asks, the restart sends it.
    wall += 60_000;
    const second = await createMockServer(options);
    servers.push(second);
    const got = await receiver.waitFor();
    expect((got.body as { request_id: string }).request_id).toBe(submitted.body.job_id);
    await second.webhooksSettled();
    await second.close();

    const third = await createMockServer(options);
    servers.push(third);
    third.advance(60_000);
    await third.webhooksSettled();
    expect(receiver.deliveries).toHaveLength(1);
    expect(third.webhooks(submitted.body.job_id)).toMatchObject([{ outcome: "delivered" }]);
  });
});
