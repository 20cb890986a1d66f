import type { IncomingMessage } from "node:http";
import { ApiError } from "../domain/errors.js";
import type { OriginPolicy } from "../domain/host-policy.js";
import { assertJsonContentType } from "./body.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** host[:port] with default ports blank, so https://mock.internal matches a proxied `Host: mock.internal`. */
const hostKey = (u: URL) => `${u.hostname.replace(/\.+$/, "")}:${u.port}`;

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

function trustedOrigin(policy: OriginPolicy, origin: string, hostHeader: string | undefined): boolean {
  const o = parse(origin); // "null" (sandboxed frames, file://) does not parse: never trusted
  if (o === null || (o.protocol !== "http:" && o.protocol !== "https:")) return false;
  const own = hostHeader === undefined ? null : parse(`http://${hostHeader}`);
  if (own !== null && hostKey(own) === hostKey(o)) return true;
  if (policy.publicOrigin === o.origin) return true;
  const h = policy.hosts;
  const name = o.hostname.replace(/\.+$/, "");
  return h !== null && (h.exact.has(name) || h.suffixes.some((s) => name.endsWith(s)));
}

const hasBody = (req: IncomingMessage) => Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;

/**
 * A state-changing call (any method but GET, HEAD, OPTIONS) is refused when a
 * browser says it is cross-site, or when its Origin is foreign. Clients that
 * are not browsers (curl, SDKs, tests) send neither header and pass. A call
 * with a body must declare JSON, so a browser can only send one after a CORS
 * preflight, which the mock never answers.
 */
export function crossSiteRefusal(policy: OriginPolicy, req: IncomingMessage): ApiError | null {
  const method = req.method ?? "GET";
  if (SAFE_METHODS.has(method)) return null;
  const site = req.headers["sec-fetch-site"];
  const origin = req.headers.origin;
  const path = (req.url ?? "/").split("?")[0]!;
  if (site === "cross-site" || (origin !== undefined && !trustedOrigin(policy, origin, req.headers.host))) {
    const from = origin !== undefined ? `Origin "${origin.slice(0, 100)}"` : "another site";
    return new ApiError(
      "FORBIDDEN",
      `Cross-site request refused: ${method} ${path.slice(0, 100)} from ${from}${site ? ` (Sec-Fetch-Site: ${site})` : ""}. ` +
        `State-changing control calls are taken only from the mock's own origin (the dashboard), the --public-url origin, hosts in --allowed-hosts, or clients that are not browsers.`,
    );
  }
  if (hasBody(req)) {
    try {
      assertJsonContentType(req);
    } catch (e) {
      return e as ApiError;
    }
  }
  return null;
}
