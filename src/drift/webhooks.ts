import type { OpenAPIV3_1 } from "openapi-types";
import { loadSpec } from "../spec/load.js";
import { compareBodies } from "./compare.js";
import type { LoadedWebhook } from "./load.js";
import { requestIdOf, type ReplayDelivery } from "./replay.js";
import type { Substitutions } from "./substitute.js";
import type { NewDifference } from "./types.js";

const SIGNATURE = "x-artemotion-signature";

/** Headers a webhook is judged on: those the spec documents, the content type, and any X-ArtEmotion-* header. */
function judged(): Set<string> {
  const hook = Object.values(loadSpec().webhooks ?? {})[0] as OpenAPIV3_1.PathItemObject | undefined;
  const params = (hook?.post?.parameters ?? []) as OpenAPIV3_1.ParameterObject[];
  return new Set([...params.map((p) => p.name.toLowerCase()), "content-type"]);
}

/** `v1=<redacted:hex64>` and `v1=0a1b…` (64 hex digits) both read `v1=<hex64>`. */
function signatureForm(v: string): string {
  const redacted = /^([A-Za-z0-9_-]+)=<redacted:hex(\d+)>$/.exec(v);
  if (redacted) return `${redacted[1]}=<hex${redacted[2]}>`;
  const clear = /^([A-Za-z0-9_-]+)=([0-9a-fA-F]+)$/.exec(v);
  return clear ? `${clear[1]}=<hex${clear[2]!.length}>` : "<unrecognised>";
}

const verdict = (v: { ok: boolean; reason: string | null } | null) => (v === null ? "not checked" : v.ok ? "verifies" : `fails: ${v.reason}`);
const parse = (raw: string) => {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
};

/**
 * Per job, the webhooks the recorded run received against those the replay
 * received: how many, their documented headers, the signature scheme (and
 * whether it verified with the secret given), and the payload's shape.
 */
export function compareWebhooks(recorded: LoadedWebhook[], replayed: ReplayDelivery[], subs: Substitutions): (NewDifference & { test: string })[] {
  const out: (NewDifference & { test: string })[] = [];
  const names = judged();
  const byJob = new Map<string, LoadedWebhook[]>();
  for (const w of recorded) byJob.set(requestIdOf(w.rawBody), [...(byJob.get(requestIdOf(w.rawBody)) ?? []), w]);
  for (const [id, recs] of byJob) {
    const mapped = subs.ids.get(id) ?? id;
    const reps = replayed.filter((d) => (d.body as { request_id?: unknown } | null)?.request_id === mapped);
    const where = `webhook ${recs[0]!.headers["x-artemotion-event"] ?? "(no event)"}`;
    const push = (x: Omit<NewDifference, "where">) => out.push({ test: recs[0]!.test, where, ...x });
    if (reps.length !== recs.length) push({ grade: "behavioural", category: "behaviour", kind: "webhook-count", path: "deliveries", recorded: recs.length, mock: reps.length });
    recs.slice(0, reps.length).forEach((w, i) => {
      const d = reps[i]!;
      const [ra, rb] = [parse(w.rawBody) as { status?: unknown }, d.body as { status?: unknown }];
      const sameOutcome = ra?.status === rb?.status;
      if (!sameOutcome) push({ grade: "behavioural", category: "behaviour", kind: "sequence", path: "$.status", recorded: ra?.status, mock: rb?.status });
      for (const name of new Set([...Object.keys(w.headers), ...Object.keys(d.headers)])) {
        if (!names.has(name) && !name.startsWith("x-artemotion-")) continue;
        const [a, b] = [w.headers[name], d.headers[name]];
        if (a === undefined && b !== undefined) push({ grade: "breaking", category: "headers", kind: "header-missing", path: `headers.${name}`, recorded: null, mock: name === SIGNATURE ? signatureForm(b) : b });
        else if (b === undefined && a !== undefined) push({ grade: "additive", category: "headers", kind: "header-extra", path: `headers.${name}`, recorded: a, mock: null });
        else if (a === undefined || b === undefined) continue;
        else if (name === SIGNATURE) {
          const [fa, fb] = [`${signatureForm(a)}, ${verdict(w.verification)}`, `${signatureForm(b)}, ${verdict(d.verification)}`];
          if (fa !== fb) push({ grade: "breaking", category: "headers", kind: "signature", path: `headers.${name}`, recorded: fa, mock: fb });
        } else if (name === "x-artemotion-timestamp") {
          if (/^\d+$/.test(a) !== /^\d+$/.test(b)) push({ grade: "breaking", category: "headers", kind: "header-value", path: `headers.${name}`, recorded: a, mock: b });
        } else if (name === "content-type" ? a.split(";")[0] !== b.split(";")[0] : a !== b && (name !== "x-artemotion-event" || sameOutcome)) {
          push({ grade: name === "user-agent" ? "behavioural" : "breaking", category: "headers", kind: "header-value", path: `headers.${name}`, recorded: a, mock: b });
        }
      }
      for (const x of compareBodies("webhook", 0, ra, rb)) push(x);
    });
  }
  return out;
}
