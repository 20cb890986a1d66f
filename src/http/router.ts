import { OPERATIONS } from "../spec/generated/operations.js";
import type { GeneratedOperation } from "../spec/generate.js";

/** Everything the public API answers lives under this prefix. */
export const API_PREFIX = "/api/v1";

export interface Route {
  op: GeneratedOperation;
  /** Path parameters, still percent-encoded. */
  params: string[];
}

interface Compiled {
  op: GeneratedOperation;
  method: string;
  re: RegExp;
}

/**
 * The spec's operations as a router, built from the generated table (no YAML
 * at start). Six operations: a short list of anchored regexes beats a radix
 * tree here. Matching ignores case and one trailing slash, as Express did.
 */
export class SpecRouter {
  #routes: Compiled[];

  constructor(ops: readonly GeneratedOperation[] = OPERATIONS) {
    this.#routes = ops.map((op) => ({ op, method: op.method.toUpperCase(), re: templateRegex(op.path) }));
  }

  /** `apiPath` is relative to the prefix. HEAD is served as GET. */
  match(method: string, apiPath: string): Route | null {
    const m = method === "HEAD" ? "GET" : method;
    for (const r of this.#routes) {
      if (r.method !== m) continue;
      const hit = r.re.exec(apiPath);
      if (hit) return { op: r.op, params: hit.slice(1) };
    }
    return null;
  }

  /** Methods allowed on a path (for 405's Allow), "" when the path is unknown. */
  allowed(apiPath: string): string {
    return this.#routes.filter((r) => r.re.test(apiPath)).map((r) => r.method).join(", ");
  }

  get operations(): GeneratedOperation[] {
    return this.#routes.map((r) => r.op);
  }
}

function templateRegex(template: string): RegExp {
  const pattern = template
    .split(/\{[^}]+\}/)
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("([^/]+)");
  return new RegExp(`^${pattern}/?$`, "i");
}
