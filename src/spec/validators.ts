import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { OpenAPIV3_1 } from "openapi-types";
import { loadSpec, operationsOf, pathMatcher, type OpenApiDoc, type Operation } from "./load.js";

const SPEC_ID = "openapi.json";

export interface ResponseCheck {
  ok: boolean;
  errors: string[];
}

/**
 * Validators compiled once from openapi.yaml: request bodies and query
 * parameters for the app, responses and webhook payloads for the tests and the
 * contract suite.
 */
export class SpecValidators {
  readonly doc: OpenApiDoc;
  readonly operations: Operation[];
  readonly ajv: Ajv2020;
  #cache = new Map<string, ValidateFunction>();
  #matchers: { op: Operation; re: RegExp }[] | undefined;

  constructor(doc: OpenApiDoc = loadSpec()) {
    this.doc = doc;
    this.operations = operationsOf(doc);
    // strict off: the document carries OpenAPI keywords (discriminator, example) that are not JSON Schema.
    this.ajv = new Ajv2020({ strict: false, allErrors: false, useDefaults: true, coerceTypes: false });
    addFormats.default(this.ajv);
    this.ajv.addSchema(doc as object, SPEC_ID);
  }

  /** The operations whose path template matches `apiPath` (relative to the base URL), any method. */
  operationsOnPath(apiPath: string): Operation[] {
    this.#matchers ??= this.operations.map((o) => ({ op: o, re: pathMatcher(o.path) }));
    return this.#matchers.filter((m) => m.re.test(apiPath)).map((m) => m.op);
  }

  operation(operationId: string): Operation {
    const op = this.operations.find((o) => o.operationId === operationId);
    if (!op) throw new Error(`no operation ${operationId} in openapi.yaml`);
    return op;
  }

  /** A validator for the schema at a JSON pointer into the spec. */
  schemaAt(pointer: string): ValidateFunction {
    let fn = this.#cache.get(pointer);
    if (!fn) {
      fn = this.ajv.compile({ $ref: `${SPEC_ID}#${pointer}` });
      this.#cache.set(pointer, fn);
    }
    return fn;
  }

  /** The JSON body validator of an operation, or undefined when it takes no body. */
  requestBody(operationId: string): ValidateFunction | undefined {
    const { op, path, method } = this.operation(operationId);
    if (!op.requestBody) return undefined;
    return this.schemaAt(`/paths/${escapePointer(path)}/${method}/requestBody/content/application~1json/schema`);
  }

  /** The query parameters of an operation as one object schema. */
  query(operationId: string): ValidateFunction | undefined {
    const { op, path, method } = this.operation(operationId);
    const params = (op.parameters ?? []) as OpenAPIV3_1.ParameterObject[];
    const inQuery = params.map((p, i) => ({ p, i })).filter(({ p }) => p.in === "query");
    if (inQuery.length === 0) return undefined;
    const key = `query:${operationId}`;
    let fn = this.#cache.get(key);
    if (!fn) {
      const base = `${SPEC_ID}#/paths/${escapePointer(path)}/${method}/parameters`;
      fn = this.ajv.compile({
        type: "object",
        required: inQuery.filter(({ p }) => p.required).map(({ p }) => p.name),
        properties: Object.fromEntries(inQuery.map(({ p, i }) => [p.name, { $ref: `${base}/${i}/schema` }])),
      });
      this.#cache.set(key, fn);
    }
    return fn;
  }

  /** Checks a response against the operation's documented statuses, headers and body schema. */
  checkResponse(operationId: string, status: number, headers: Record<string, string | string[] | undefined>, body: unknown): ResponseCheck {
    const { op, path, method } = this.operation(operationId);
    const errors: string[] = [];
    const code = String(status);
    const response = op.responses?.[code] as OpenAPIV3_1.ResponseObject | OpenAPIV3_1.ReferenceObject | undefined;
    if (!response) return { ok: false, errors: [`status ${status} is not documented for ${operationId}`] };
    const base = `/paths/${escapePointer(path)}/${method}/responses/${code}`;
    const resolved = this.#deref(response) as OpenAPIV3_1.ResponseObject;
    const pointer = "$ref" in response ? (response.$ref as string).slice(1) : base;
    for (const [name, h] of Object.entries(resolved.headers ?? {})) {
      const header = this.#deref(h) as OpenAPIV3_1.HeaderObject;
      const value = headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) errors.push(`missing documented header ${name}`);
        continue;
      }
      const v = this.schemaAt(`${pointer}/headers/${escapePointer(name)}/schema`);
      if (!v(Array.isArray(value) ? value.join(", ") : value)) errors.push(`header ${name}: ${formatErrors(v.errors)}`);
    }
    if (resolved.content) {
      const type = String(headers["content-type"] ?? "");
      if (!type.startsWith("application/json")) errors.push(`content-type "${type}" is not application/json`);
      const v = this.schemaAt(`${pointer}/content/application~1json/schema`);
      if (!v(body)) errors.push(`body: ${formatErrors(v.errors)}`);
    }
    return { ok: errors.length === 0, errors };
  }

  /** Checks a webhook delivery's headers and body against the spec's `webhooks:` entry. */
  checkWebhook(headers: Record<string, string | string[] | undefined>, body: unknown): ResponseCheck {
    const errors: string[] = [];
    const [name, item] = Object.entries(this.doc.webhooks ?? {})[0]!;
    const op = (item as OpenAPIV3_1.PathItemObject).post!;
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    ((op.parameters ?? []) as OpenAPIV3_1.ParameterObject[]).forEach((p, i) => {
      const value = lower[p.name.toLowerCase()];
      if (value === undefined) {
        if (p.required) errors.push(`missing header ${p.name}`);
        return;
      }
      const v = this.schemaAt(`/webhooks/${name}/post/parameters/${i}/schema`);
      if (!v(value)) errors.push(`header ${p.name}: ${formatErrors(v.errors)}`);
    });
    const v = this.schemaAt(`/webhooks/${name}/post/requestBody/content/application~1json/schema`);
    if (!v(body)) errors.push(`body: ${formatErrors(v.errors)}`);
    return { ok: errors.length === 0, errors };
  }

  #deref(obj: unknown): unknown {
    let cur = obj as { $ref?: string };
    while (cur && typeof cur.$ref === "string") {
      cur = cur.$ref.slice(2).split("/").reduce<any>((o, k) => o?.[k.replace(/~1/g, "/").replace(/~0/g, "~")], this.doc);
    }
    return cur;
  }
}

export function escapePointer(s: string): string {
  return s.replace(/~/g, "~0").replace(/\//g, "~1");
}

export function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`).join("; ");
}

let shared: SpecValidators | undefined;
/** One compiled set per process: compiling is start-up work, and the spec never changes at run time. */
export function sharedValidators(): SpecValidators {
  shared ??= new SpecValidators();
  return shared;
}
