import type { OpenApiDoc } from "../spec/load.js";
import { loadSpec, operationsOf } from "../spec/load.js";

/** One JSON path of a body: the types seen there and the values (kept for every path; compared only where it matters). */
export interface Node {
  types: Set<string>;
  values: Set<string>;
}

export interface Shape {
  nodes: Map<string, Node>;
  /** Array paths that were empty every time: what lies under them is unknown, not absent. */
  empty: Set<string>;
}

const typeOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "number" ? "number" : typeof v);

/** Flattens a JSON body to paths such as $.models[*].credits. */
export function shapeOf(body: unknown): Shape {
  const shape: Shape = { nodes: new Map(), empty: new Set() };
  const filled = new Set<string>();
  const walk = (v: unknown, path: string) => {
    let n = shape.nodes.get(path);
    if (!n) shape.nodes.set(path, (n = { types: new Set(), values: new Set() }));
    n.types.add(typeOf(v));
    if (v === null || typeof v !== "object") n.values.add(JSON.stringify(v));
    if (Array.isArray(v)) {
      (v.length === 0 ? shape.empty : filled).add(path);
      for (const x of v) walk(x, `${path}[*]`);
    } else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
  };
  walk(body, "$");
  for (const p of filled) shape.empty.delete(p);
  return shape;
}

/** What the spec says about one path of a response: its allowed values if it is an enum, and whether it is required. */
export interface SpecPath {
  enum: Set<string> | null;
  required: boolean;
}

type Schema = Record<string, any>;

/**
 * The paths a response schema documents, walked through $ref, allOf, oneOf
 * and anyOf (a union: a path is documented if any branch documents it).
 */
export function specPaths(schema: Schema | undefined, doc: OpenApiDoc = loadSpec()): Map<string, SpecPath> {
  const out = new Map<string, SpecPath>();
  const resolve = (s: Schema): Schema => {
    let cur = s;
    for (let i = 0; cur?.$ref && i < 20; i++) cur = (cur.$ref as string).slice(2).split("/").reduce<any>((o, k) => o?.[k.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
    return cur ?? {};
  };
  const note = (path: string, s: Schema, required: boolean) => {
    const p = out.get(path) ?? { enum: null, required: false };
    const values = s.enum ?? (s.const !== undefined ? [s.const] : null);
    if (values) p.enum = new Set([...(p.enum ?? []), ...values.map((v: unknown) => JSON.stringify(v))]);
    p.required ||= required;
    out.set(path, p);
  };
  const walk = (raw: Schema, path: string, required: boolean, depth: number) => {
    if (depth > 12) return;
    const s = resolve(raw);
    note(path, s, required);
    for (const k of ["allOf", "oneOf", "anyOf"]) for (const b of s[k] ?? []) walk(b, path, required, depth + 1);
    const req = new Set<string>(s.required ?? []);
    for (const [name, sub] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) walk(sub, `${path}.${name}`, req.has(name), depth + 1);
    if (s.items) walk(s.items, `${path}[*]`, false, depth + 1);
  };
  if (schema) walk(schema, "$", true, 0);
  return out;
}

const cache = new Map<string, Map<string, SpecPath>>();

/** The documented paths of an operation's response for a status, or of the webhook payload (operationId "webhook"). */
export function documented(operationId: string | null, status: number): Map<string, SpecPath> {
  const id = `${operationId} ${status}`;
  let m = cache.get(id);
  if (m) return m;
  const doc = loadSpec();
  let schema: Schema | undefined;
  if (operationId === "webhook") schema = { $ref: "#/components/schemas/WebhookPayload" };
  else {
    const op = operationsOf(doc).find((o) => o.operationId === operationId);
    const res = op?.op.responses?.[String(status)] as Schema | undefined;
    const resolved = res?.$ref ? ((res.$ref as string).slice(2).split("/").reduce<any>((o, k) => o?.[k], doc) as Schema) : res;
    schema = resolved?.content?.["application/json"]?.schema;
  }
  cache.set(id, (m = specPaths(schema, doc)));
  return m;
}
