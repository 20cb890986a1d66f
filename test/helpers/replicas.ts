import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { OPTION_DOCS } from "../../src/options.js";

// The real CLI in child processes (npm test builds dist/ first).
export const MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface Replica {
  name: string;
  origin: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
  /** kill -9: a crash, no shutdown. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

/** The parent's env without any of the mock's own variables. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const d of OPTION_DOCS) if (d.env) delete env[d.env];
  return env;
}

/** One `artemotion-mock serve` on the shared store, on a free port; resolves once it prints its ready line. */
export function startReplica(store: string, namespace: string, name: string, extra: string[] = []): Promise<Replica> {
  const args = [MAIN, "serve", "--port", "0", "--log-level", "silent", "--store", store, "--namespace", namespace, "--replica-id", name, ...extra];
  const child = spawn(process.execPath, args, { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let out = "";
  let err = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const replica = (origin: string): Replica => ({
    name, origin, child, exited, stderr: () => err,
    async crash() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`replica ${name} not ready after 30 s: ${err}`));
    }, 30_000);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`replica ${name} exited (${code ?? signal}) before it was ready: ${err}`));
    });
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /artemotion-mock ready: (http:\/\/[^\s/]+)\/api\/v1/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(replica(m[1]!));
      }
    });
  });
}

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** One request; a connection error (a dead replica) comes back as status 0. */
export async function call(origin: string, path: string, init: { method?: string; key?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  try {
    const res = await fetch(origin + path, { method: init.method ?? (init.body === undefined ? "GET" : "POST"), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body, headers: res.headers };
  } catch {
    return { status: 0, body: null, headers: new Headers() };
  }
}

export const TRYON = { person_image_url: "https://example.com/p.jpg", garment_image_url: "https://example.com/g.jpg" };
export const TRYON_MODEL = "image-apps-v2/virtual-try-on";
export const pollPath = (jobId: string, model = TRYON_MODEL) => `/api/v1/jobs/${encodeURIComponent(jobId)}?model_id=${encodeURIComponent(model)}`;
