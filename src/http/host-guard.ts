import type { IncomingMessage } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { ApiError } from "../domain/errors.js";
import { hostAllowed, hostPolicy, originPolicy, type HostPolicy, type OriginPolicy } from "../domain/host-policy.js";
import type { MockOptions } from "../options.js";
import { crossSiteRefusal } from "./cross-site-guard.js";

/**
 * The public surface: what API clients reach by many names, so any Host may.
 * Everything else the server answers (/__mock, the dashboard, /docs, and any
 * path added later) is the mock's own and is guarded. Guarding by exclusion
 * fails safe: a spelling the router still matches ("/__MOCK", "//__mock") is
 * not public, so it is guarded too.
 */
const PUBLIC_PATH = /^\/(?:api\/v1|cdn)(?:[/?#]|$)/i;

export function isPublicPath(url: string): boolean {
  return PUBLIC_PATH.test(url);
}

/** What a foreign Host is told: the flag that would let it in, and the one that turns the check off. */
function hostRefusal(host: string | undefined): ApiError {
  if (host === undefined) {
    return new ApiError("FORBIDDEN", "A Host header is required to reach /__mock, the dashboard or /docs.");
  }
  const shown = host.length > 100 ? `${host.slice(0, 100)}…` : host;
  const name = shown.replace(/:\d*$/, "");
  return new ApiError(
    "FORBIDDEN",
    `Host "${shown}" may not reach /__mock, the dashboard or /docs (a guard against DNS rebinding). ` +
      `Loopback names, the host of --public-url and the hosts in --allowed-hosts (env MOCK_ALLOWED_HOSTS) may: ` +
      `start the mock with --allowed-hosts ${name} to allow this one, or --allowed-hosts any to turn the check off.`,
  );
}

export interface MockGuardPolicy {
  hosts: HostPolicy;
  origins: OriginPolicy;
}

export function mockGuardPolicy(o: Pick<MockOptions, "allowedHosts" | "publicUrl" | "host">): MockGuardPolicy {
  return { hosts: hostPolicy(o.allowedHosts, { publicUrl: o.publicUrl, bindHost: o.host }), origins: originPolicy(o.allowedHosts, o.publicUrl) };
}

/**
 * Both guards for one request, independent of the framework that answers it:
 * null to let it through, or the ApiError to answer with. The public API and
 * /cdn are never touched.
 */
export function checkMockRequest(policy: MockGuardPolicy, req: IncomingMessage): ApiError | null {
  const url = req.url ?? "/";
  if (isPublicPath(url)) return null;
  if (!hostAllowed(policy.hosts, req.headers.host)) return hostRefusal(req.headers.host);
  return crossSiteRefusal(policy.origins, req);
}

/** The same, as Express middleware: mounted first, before any router. */
export function mockGuardMiddleware(policy: MockGuardPolicy): (req: Request, res: Response, next: NextFunction) => void {
  return (req, _res, next) => {
    const refusal = checkMockRequest(policy, req);
    next(refusal ?? undefined);
  };
}
