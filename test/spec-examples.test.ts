import type { OpenAPIV3_1 } from "openapi-types";
import { describe, expect, it } from "vitest";
import { escapePointer, formatErrors, sharedValidators } from "../src/spec/validators.js";

const validators = sharedValidators();
const doc = validators.doc;

interface Example {
  /** Where the example sits, for failure messages. */
  at: string;
  /** JSON pointer of the schema it must satisfy. */
  schema: string;
  value: unknown;
}

const resolve = (ref: string): any => ref.slice(2).split("/").reduce<any>((o, k) => o?.[k.replace(/~1/g, "/").replace(/~0/g, "~")], doc);

/**
 * Every `example`/`examples` in the document with the schema it belongs to. Beside a
 * `schema` (media types, parameters, headers) `examples` is a map of Example Objects;
 * inside a schema it is a JSON Schema array of values.
 */
function collectExamples(node: unknown, pointer: string, out: Example[]): Example[] {
  if (node === null || typeof node !== "object") return out;
  const obj = node as Record<string, unknown>;
  const owner = "schema" in obj ? `${pointer}/schema` : pointer;
  if ("example" in obj) out.push({ at: `${pointer}/example`, schema: owner, value: obj.example });
  if ("examples" in obj) {
    if (Array.isArray(obj.examples)) obj.examples.forEach((value, i) => out.push({ at: `${pointer}/examples/${i}`, schema: owner, value }));
    else {
      for (const [name, ex] of Object.entries(obj.examples as Record<string, { value?: unknown; $ref?: string }>)) {
        const example = ex.$ref ? resolve(ex.$ref) : ex;
        expect(example, `${pointer}/examples/${name} has an inline value`).toHaveProperty("value");
        out.push({ at: `${pointer}/examples/${name}`, schema: owner, value: example.value });
      }
    }
  }
  for (const [key, child] of Object.entries(obj)) {
    if (key === "example" || key === "examples") continue;
    collectExamples(child, `${pointer}/${escapePointer(key)}`, out);
  }
  return out;
}

const examples = collectExamples(doc, "", []);

describe("openapi.yaml's embedded examples", () => {
  it("include the docs' examples for requests, responses, errors and the webhook", () => {
    const where = (prefix: string) => examples.filter((e) => e.at.startsWith(prefix)).length;
    expect(where("/paths/~1tryon/post/requestBody")).toBeGreaterThan(0);
    expect(where("/paths/~1vision/post/requestBody")).toBeGreaterThanOrEqual(4);
    expect(where("/paths/~1generate/post/requestBody")).toBeGreaterThan(0);
    expect(where("/paths/~1jobs~1{job_id}/get/responses/200")).toBeGreaterThanOrEqual(4);
    expect(where("/webhooks/")).toBeGreaterThan(0);
    const messages = examples.map((e) => (e.value as { error?: unknown })?.error).filter(Boolean);
    expect(messages).toEqual(
      expect.arrayContaining([
        "Missing Authorization header",
        'Unknown model_id "bad-model". GET /api/v1/vision for the model list.',
        'model_id "llava-next" requires a "prompt" field (e.g. "Describe this image in detail.").',
        'model_id "moondream-next" with task_type "query" requires a "prompt" field with the question to ask.',
        "Insufficient credits. Required: 4, available: 2.",
        "Rate limit exceeded. Max 20 requests per minute.",
        "Failed to submit job: upstream timeout",
        "Image error: Failed to fetch image: HTTP 403",
        "Image error: Image exceeds 10 MB",
        "Image error: Private URLs not allowed",
      ]),
    );
  });

  it.each(examples.map((e) => [e.at, e] as const))("%s validates against its own schema", (_at, e) => {
    const validate = validators.schemaAt(e.schema);
    // ajv fills defaults in place; the spec is shared, so validate a copy.
    const ok = validate(structuredClone(e.value));
    expect(ok, `${e.at} against ${e.schema}: ${formatErrors(validate.errors)}`).toBe(true);
  });

  it("would reject an example that contradicts its schema", () => {
    const failed = examples.find((e) => e.at.endsWith("/examples/failed"))!;
    const broken = { ...(failed.value as object), logs: "not an array" };
    expect(validators.schemaAt(failed.schema)(broken)).toBe(false);
  });
});

const op = (path: string, method: string) => (doc.paths?.[path] as Record<string, OpenAPIV3_1.OperationObject> | undefined)?.[method];

describe("openapi.yaml's surface", () => {
  const expected: [string, string, string[]][] = [
    ["/tryon", "post", ["202", "400", "401", "402", "405", "429", "502"]],
    ["/vision", "post", ["202", "400", "401", "402", "405", "429", "502"]],
    ["/generate", "post", ["202", "400", "401", "402", "405", "429", "502"]],
    ["/jobs/{job_id}", "get", ["200", "400", "401", "404", "405", "429", "502"]],
    ["/models", "get", ["200", "405"]],
    ["/vision", "get", ["200", "405"]],
  ];

  it.each(expected)("documents %s %s with its statuses", (path, method, statuses) => {
    const operation = op(path, method);
    expect(operation, `${method.toUpperCase()} ${path}`).toBeDefined();
    expect(Object.keys(operation!.responses ?? {})).toEqual(expect.arrayContaining(statuses));
  });

  it("describes no operation beyond the docs' six", () => {
    expect(validators.operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual(expected.map(([p, m]) => `${m} ${p}`).sort());
  });

  it("requires model_id in the poll's query", () => {
    const params = (op("/jobs/{job_id}", "get")!.parameters ?? []) as OpenAPIV3_1.ParameterObject[];
    expect(params.find((p) => p.in === "query" && p.name === "model_id")?.required).toBe(true);
  });

  it("lists the production and the mock's base URLs", () => {
    expect(doc.servers?.map((s) => s.url)).toEqual(expect.arrayContaining(["https://app.artemotion.ai/api/v1", "http://127.0.0.1:4010/api/v1"]));
  });

  it("secures every operation with a bearer key except the two catalogs", () => {
    const scheme = doc.components?.securitySchemes?.bearerAuth as OpenAPIV3_1.HttpSecurityScheme;
    expect(scheme).toMatchObject({ type: "http", scheme: "bearer" });
    const open = validators.operations.filter((o) => !o.secured).map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(open.sort()).toEqual(["GET /models", "GET /vision"]);
    for (const o of validators.operations.filter((x) => x.secured)) {
      expect(o.op.security ?? doc.security, o.operationId).toEqual([{ bearerAuth: [] }]);
    }
  });

  it("describes the webhook delivery with its four headers and payload", () => {
    const hooks = Object.values(doc.webhooks ?? {});
    expect(hooks).toHaveLength(1);
    const post = (hooks[0] as OpenAPIV3_1.PathItemObject).post!;
    const headers = ((post.parameters ?? []) as OpenAPIV3_1.ParameterObject[]).filter((p) => p.in === "header").map((p) => p.name);
    expect(headers.sort()).toEqual(["User-Agent", "X-ArtEmotion-Event", "X-ArtEmotion-Signature", "X-ArtEmotion-Timestamp"]);
    const body = (post.requestBody as OpenAPIV3_1.RequestBodyObject).content["application/json"]!.schema;
    expect(body).toEqual({ $ref: "#/components/schemas/WebhookPayload" });
  });
});
