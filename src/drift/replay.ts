import { createWebhookReceiver } from "../webhooks/receiver.js";
import { verifyWebhook } from "../webhooks/signature.js";
import type { LoadedExchange, Recording } from "./load.js";
import { Substitutions } from "./substitute.js";

export interface ReplayTarget {
  /** e.g. http://127.0.0.1:4010 (the API is under /api/v1, the control API under /__mock). */
  origin: string;
  /** True when the target answers /__mock: its virtual clock is then driven by the recording. */
  control: boolean;
  description: string;
}

export interface Replayed {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  bodyText?: string;
  binaryBytes?: number;
}

export interface Pair {
  rec: LoadedExchange;
  /** null when the exchange was not sent (a clock freeze or resume, or control calls to a target without /__mock). */
  rep: Replayed | null;
  /** Target time since the first exchange, as the replay drove it (recorded gaps while the clock ran, plus advances). */
  offsetMs: number;
}

export interface ReplayDelivery {
  headers: Record<string, string>;
  rawBody: string;
  body: unknown;
  verification: { ok: boolean; reason: string | null } | null;
}

export interface ReplayResult {
  pairs: Pair[];
  deliveries: ReplayDelivery[];
  subs: Substitutions;
  notes: string[];
}

const DROP = new Set(["host", "content-length", "connection", "accept-encoding", "transfer-encoding"]);
const WEBHOOK_WAIT_MS = 5_000;

async function read(res: Response): Promise<Replayed> {
  const headers = Object.fromEntries(res.headers.entries());
  const type = headers["content-type"] ?? "";
  if (!/json|text/.test(type) && type !== "") return { status: res.status, headers, binaryBytes: (await res.arrayBuffer()).byteLength };
  const text = await res.text();
  try {
    return { status: res.status, headers, body: JSON.parse(text) };
  } catch {
    return { status: res.status, headers, bodyText: text };
  }
}

/**
 * Sends every recorded request again, in order, to `target`. On a target with
 * a control API its clock is frozen and moved exactly as the recorded target's
 * moved: by the recorded wall-clock gaps while that clock ran, and by every
 * recorded /clock/advance. Webhooks go to a receiver of the replay's own.
 */
export async function replay(rec: Recording, target: ReplayTarget): Promise<ReplayResult> {
  const subs = new Substitutions();
  const receiver = await createWebhookReceiver();
  const jobSecrets = new Map<string, string>();
  const pairs: Pair[] = [];
  const notes: string[] = [];
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${target.origin}/__mock${path}`, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    return res.ok ? res.json() : null;
  };
  let resumeAtEnd = false;
  let skippedControl = 0;
  try {
    if (target.control) {
      resumeAtEnd = !((await control("GET", "/clock")) as { frozen?: boolean } | null)?.frozen;
      await control("POST", "/clock/freeze");
    }
    let recFrozen = false;
    let prev: number | null = null;
    let offset = 0;
    for (const x of rec.exchanges) {
      const gap = prev === null || recFrozen ? 0 : Math.floor(x.startedMs - prev);
      prev = x.startedMs;
      if (gap >= 1) {
        offset += gap;
        if (target.control) await control("POST", "/clock/advance", { ms: gap });
        else await new Promise((r) => setTimeout(r, Math.min(gap, 10_000)));
      }
      if (x.kind === "control") {
        const path = x.request.path.replace(/^\/__mock/, "");
        if (path === "/clock/freeze" || path === "/clock/resume") {
          recFrozen = path === "/clock/freeze";
          pairs.push({ rec: x, rep: null, offsetMs: offset });
          continue;
        }
        if (path === "/clock/advance") offset += Number((x.request.body as { ms?: number } | undefined)?.ms ?? 0);
        if (!target.control) {
          skippedControl++;
          pairs.push({ rec: x, rep: null, offsetMs: offset });
          continue;
        }
      }
      const rep = await send(x, target, subs, receiver.url, jobSecrets);
      if (x.response.body !== undefined && rep.body !== undefined) subs.learn(x.response.body, rep.body);
      pairs.push({ rec: x, rep, offsetMs: offset });
    }
    await waitForWebhooks(rec, subs, receiver);
  } finally {
    if (target.control && resumeAtEnd) await control("POST", "/clock/resume");
    await receiver.close();
  }
  if (skippedControl) notes.push(`${skippedControl} control call(s) were not replayed: ${target.description} has no /__mock control API.`);
  const deliveries = receiver.deliveries.map((d) => {
    const headers = Object.fromEntries(Object.entries(d.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]));
    const secret = jobSecrets.get(String((d.body as { request_id?: unknown } | null)?.request_id));
    const v = secret === undefined ? null : verifyWebhook(d.rawBody, d.headers, secret);
    return { headers, rawBody: d.rawBody, body: d.body, verification: v && { ok: v.ok, reason: v.ok ? null : v.reason } };
  });
  return { pairs, deliveries, subs, notes };
}

async function send(x: LoadedExchange, target: ReplayTarget, subs: Substitutions, webhookUrl: string, jobSecrets: Map<string, string>): Promise<Replayed> {
  const q = x.request.url.indexOf("?");
  const query = q < 0 ? "" : x.request.url.slice(q);
  const url = x.kind === "fetch" ? (subs.urls.get(x.request.url) ?? target.origin + subs.text(x.request.path)) : target.origin + subs.text(x.request.path) + subs.text(query);
  const headers = Object.fromEntries(Object.entries(x.request.headers).filter(([k]) => !DROP.has(k)).map(([k, v]) => [k, subs.text(v)]));
  let body: string | undefined;
  let sent: unknown;
  if (x.request.body !== undefined) body = JSON.stringify((sent = subs.body(x.request.body, webhookUrl)));
  else if (x.request.bodyText !== undefined) body = subs.text(x.request.bodyText);
  else if (x.request.bodyTruncated) body = x.request.bodyTruncated.head.padEnd(x.request.bodyTruncated.bytes, "x");
  try {
    const rep = await read(await fetch(url, { method: x.request.method, headers, body, redirect: "manual" }));
    const secret = (sent as { webhook_secret?: unknown } | undefined)?.webhook_secret;
    const jobId = (rep.body as { job_id?: unknown } | undefined)?.job_id;
    if (typeof secret === "string" && typeof jobId === "string") jobSecrets.set(jobId, secret);
    return rep;
  } catch (e) {
    return { status: 0, headers: {}, bodyText: `request failed: ${(e as Error).message}` };
  }
}

/** Until every job has at least as many deliveries as were recorded for it (or a few seconds pass). */
async function waitForWebhooks(rec: Recording, subs: Substitutions, receiver: Awaited<ReturnType<typeof createWebhookReceiver>>): Promise<void> {
  const want = new Map<string, number>();
  for (const w of rec.webhooks) {
    const id = requestIdOf(w.rawBody);
    const mapped = subs.ids.get(id) ?? id;
    want.set(mapped, (want.get(mapped) ?? 0) + 1);
  }
  const done = () => [...want].every(([id, n]) => receiver.deliveries.filter((d) => (d.body as { request_id?: string } | null)?.request_id === id).length >= n);
  if (done()) return;
  await receiver.waitFor(() => done(), WEBHOOK_WAIT_MS).catch(() => undefined);
}

export function requestIdOf(raw: string): string {
  try {
    return String((JSON.parse(raw) as { request_id?: unknown }).request_id ?? "");
  } catch {
    return "";
  }
}
