import { BlockList, isIP } from "node:net";
import { addressClass } from "./ip-class.js";

/**
 * Where webhooks may go.
 * - open: any HTTPS destination, plus http:// on loopback (a loopback bind, or --webhook-allow any).
 * - public: HTTPS to public addresses only (a non-loopback bind without --webhook-allow).
 * - list: only what --webhook-allow names, over http or https.
 */
export type WebhookPolicy =
  | { readonly mode: "open" }
  | { readonly mode: "public" }
  | { readonly mode: "list"; readonly entries: readonly string[]; readonly hosts: ReadonlySet<string>; readonly suffixes: readonly string[]; readonly nets: BlockList | null };

export const OPEN_WEBHOOKS: WebhookPolicy = Object.freeze({ mode: "open" });

export class WebhookAllowError extends Error {
  override name = "WebhookAllowError";
}

const HOST_NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;
const bare = (host: string) => host.replace(/^\[(.*)\]$/, "$1");
const nameOf = (host: string) => host.toLowerCase().replace(/\.+$/, "");

/** --webhook-allow entries: host names, `*.suffix`, CIDRs or single addresses (IPv4 or IPv6), or `any`. */
export function webhookPolicy(allow: readonly string[] | "any" | null, bindIsLoopback: boolean): WebhookPolicy {
  if (allow === "any") return OPEN_WEBHOOKS;
  if (allow === null) return bindIsLoopback ? OPEN_WEBHOOKS : { mode: "public" };
  const hosts = new Set<string>();
  const suffixes: string[] = [];
  let nets: BlockList | null = null;
  for (const raw of allow) {
    const entry = nameOf(raw.trim());
    if (entry === "any") throw new WebhookAllowError(`"any" cannot be combined with other entries`);
    const [addr = "", prefix, extra] = bare(entry).split("/");
    const family = isIP(bare(addr));
    if (family !== 0) {
      const max = family === 4 ? 32 : 128;
      const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
      if (extra !== undefined || !(bits >= 0 && bits <= max)) throw new WebhookAllowError(`"${raw}" is not a CIDR: the prefix must be 0 to ${max}`);
      (nets ??= new BlockList()).addSubnet(bare(addr), bits, family === 4 ? "ipv4" : "ipv6");
    } else if (entry.startsWith("*.") && HOST_NAME.test(entry.slice(2))) {
      suffixes.push(entry.slice(1));
    } else if (HOST_NAME.test(entry)) {
      hosts.add(entry);
    } else {
      throw new WebhookAllowError(`"${raw}" is not a host name, *.suffix, IP address or CIDR`);
    }
  }
  if (allow.length === 0) throw new WebhookAllowError("give host names, *.suffix patterns, CIDRs, or any");
  return { mode: "list", entries: [...allow], hosts, suffixes, nets };
}

/** The names a list entry vouches for, whatever they resolve to. */
function nameListed(policy: Extract<WebhookPolicy, { mode: "list" }>, host: string): boolean {
  return policy.hosts.has(host) || policy.suffixes.some((s) => host.endsWith(s));
}

function netListed(policy: Extract<WebhookPolicy, { mode: "list" }>, address: string): boolean {
  return policy.nets !== null && policy.nets.check(address, isIP(address) === 4 ? "ipv4" : "ipv6");
}

const isLoopbackUrlHost = (host: string) => host === "localhost" || host === "[::1]" || (isIP(host) === 4 && host.startsWith("127."));

/**
 * Judged at submit, without DNS: null when the URL may be accepted, else why
 * not. A name that passes here is judged again by the addresses it resolves
 * to when the delivery is sent (see `judgeAddress`).
 */
export function webhookUrlProblem(policy: WebhookPolicy, url: URL): string | null {
  const host = nameOf(url.hostname);
  const literal = isIP(bare(host)) !== 0;
  if (policy.mode === "open") {
    return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackUrlHost(host)) ? null : "must be an HTTPS URL (http:// is accepted only for loopback hosts)";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an HTTPS or http URL";
  switch (policy.mode) {
    case "public": {
      if (url.protocol !== "https:") return "must be an HTTPS URL (this mock serves a network, so webhooks go only to public HTTPS hosts unless --webhook-allow lists the destination)";
      const kind = literal ? addressClass(host) : null;
      return kind === null ? null : `${bare(host)} is a ${kind} address (this mock serves a network, so webhooks go only to public HTTPS hosts unless --webhook-allow lists the destination)`;
    }
    case "list":
      if (literal ? netListed(policy, bare(host)) : nameListed(policy, host) || policy.nets !== null) return null;
      return `${bare(host)} is not in --webhook-allow (${policy.entries.join(",")})`;
  }
}

/**
 * Judged at send time, for each address a name resolved to: null to connect,
 * else the reason the delivery is refused. Names a list entry names are
 * trusted whatever they resolve to.
 */
export function judgeAddress(policy: WebhookPolicy, host: string, address: string): string | null {
  const name = nameOf(host);
  switch (policy.mode) {
    case "open":
      return null;
    case "public": {
      const kind = addressClass(address);
      return kind === null ? null : `${name} resolves to ${address}, a ${kind} address: webhooks from a mock serving a network go only to public addresses unless --webhook-allow lists the destination`;
    }
    case "list":
      if (nameListed(policy, name) || netListed(policy, address)) return null;
      return `${name} resolves to ${address}, which is not in --webhook-allow (${policy.entries.join(",")})`;
  }
}

/** Whether a delivery must resolve the name itself and judge every address before connecting. */
export function needsResolution(policy: WebhookPolicy, host: string): boolean {
  const name = nameOf(host);
  if (policy.mode === "open" || isIP(bare(name)) !== 0) return false;
  return !(policy.mode === "list" && nameListed(policy, name));
}
