import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { OpenAPIV3_1 } from "openapi-types";
import { parse } from "yaml";

/** openapi.yaml sits at the package root, two levels above both src/spec and dist/spec. */
export const SPEC_PATH = fileURLToPath(new URL("../../openapi.yaml", import.meta.url));

export type OpenApiDoc = OpenAPIV3_1.Document;

let cached: OpenApiDoc | undefined;

/** The parsed spec. It is immutable input, so one parse serves every instance in the process. */
export function loadSpec(): OpenApiDoc {
  cached ??= Object.freeze(parse(readFileSync(SPEC_PATH, "utf8")) as OpenApiDoc);
  return cached;
}

export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface Operation {
  operationId: string;
  method: HttpMethod;
  /** OpenAPI path template, e.g. /jobs/{job_id}. */
  path: string;
  secured: boolean;
  statuses: string[];
  op: OpenAPIV3_1.OperationObject;
}

/** Every operation under `paths`, in spec order. */
export function operationsOf(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = item?.[method] as OpenAPIV3_1.OperationObject | undefined;
      if (!op?.operationId) continue;
      const security = op.security ?? doc.security ?? [];
      out.push({ operationId: op.operationId, method, path, secured: security.length > 0, statuses: Object.keys(op.responses ?? {}), op });
    }
  }
  return out;
}

/** /jobs/{job_id} → /jobs/:job_id, for Express. */
export function expressPath(template: string): string {
  return template.replace(/\{([^}]+)\}/g, ":$1");
}

/** A matcher for a path template, for telling 404 from 405. */
export function pathMatcher(template: string): RegExp {
  const pattern = template.split(/\{[^}]+\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[^/]+");
  return new RegExp(`^${pattern}/?$`);
}
