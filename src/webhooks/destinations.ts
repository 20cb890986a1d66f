import dns, { type LookupAddress, type LookupOptions } from "node:dns";
import type { RequestOptions } from "node:http";
import { judgeAddress, needsResolution, webhookUrlProblem, type WebhookPolicy } from "../domain/webhook-policy.js";

/** The error code a refused destination fails its request with; the dispatcher records it as outcome "refused". */
export const REFUSED = "ERR_WEBHOOK_DESTINATION_REFUSED";

export class DestinationRefused extends Error {
  readonly code = REFUSED;
  override name = "DestinationRefused";
}

export const isRefusal = (e: unknown): e is DestinationRefused => (e as { code?: unknown } | null)?.code === REFUSED;

type Resolver = (hostname: string, options: { all: true; family: number; hints?: number }, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

const familyOf = (f: LookupOptions["family"]): number => (f === "IPv4" ? 4 : f === "IPv6" ? 6 : typeof f === "number" ? f : 0);

/**
 * Where a delivery may connect, decided at send time. A name is resolved
 * once, by the request's own `lookup`: every address is judged, and the
 * connection may go only to the allowed ones, so a DNS answer that changes
 * between the check and the connect (rebinding) cannot redirect it. A name
 * with no allowed address is refused, with the reason for its first one.
 */
export class WebhookDestinations {
  constructor(
    readonly policy: WebhookPolicy,
    private readonly resolve: Resolver = dns.lookup as unknown as Resolver,
  ) {}

  /**
   * Extra http.request options for a URL, or the refusal. A literal address is
   * judged here (no DNS is involved); a name gets a pinned, checking lookup and
   * a connection of its own (a pooled socket would skip the lookup).
   */
  requestOptions(url: URL): { refused: string } | { options: Pick<RequestOptions, "lookup" | "agent"> } {
    const problem = webhookUrlProblem(this.policy, url);
    if (problem !== null) return { refused: `webhook_url ${problem}` };
    if (!needsResolution(this.policy, url.hostname)) return { options: {} };
    return { options: { lookup: this.#lookup as unknown as RequestOptions["lookup"], agent: false } };
  }

  #lookup = (hostname: string, options: LookupOptions, cb: LookupCallback): void => {
    this.resolve(hostname, { all: true, family: familyOf(options.family), hints: options.hints }, (err, addresses) => {
      if (err) return cb(err, []);
      if (addresses.length === 0) return cb(Object.assign(new Error(`${hostname} did not resolve`), { code: "ENOTFOUND" }), []);
      const allowed = addresses.filter((a) => judgeAddress(this.policy, hostname, a.address) === null);
      if (allowed.length === 0) return cb(new DestinationRefused(judgeAddress(this.policy, hostname, addresses[0]!.address)!), []);
      if (options.all) cb(null, allowed);
      else cb(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}
