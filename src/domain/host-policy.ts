import { BlockList } from "node:net";

/**
 * Which Host names may reach the mock's own surfaces (/__mock, the dashboard,
 * /docs). A DNS-rebinding page reaches the mock under the attacker's name, so
 * judging the Host header by name is what stops it; ports are not compared.
 */
export interface HostPolicy {
  /** --allowed-hosts any: the check is off. */
  readonly any: boolean;
  /** Canonical host names and IP literals allowed besides loopback. */
  readonly exact: ReadonlySet<string>;
  /** From `*.example.com` entries: ".example.com", matching subdomains only. */
  readonly suffixes: readonly string[];
}

export class HostListError extends Error {
  override name = "HostListError";
}

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");
loopback.addSubnet("::ffff:127.0.0.0", 104, "ipv6");

// Host header syntax, strictly: a name or bracketed IPv6, then an optional port.
// No userinfo, path or query can sneak into the URL parse below.
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::\d{0,5})?$/;
const HOST_NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;

/**
 * The canonical host name of a Host header or bare host: lower case, IPv4 in
 * dotted form (so "2130706433" is 127.0.0.1), IPv6 compressed and bracketed,
 * no trailing dot, no port. null when it is not a host.
 */
export function canonicalHost(value: string): string | null {
  if (!HOST_HEADER.test(value)) return null;
  try {
    const host = new URL(`http://${value}`).hostname.replace(/\.+$/, "");
    return host === "" ? null : host;
  } catch {
    return null;
  }
}

/** localhost, *.localhost (RFC 6761: always loopback, browsers never ask DNS), 127.0.0.0/8, [::1]. */
export function isLoopbackName(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host.startsWith("[")) return loopback.check(host.slice(1, -1), "ipv6");
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) && loopback.check(host, "ipv4");
}

/** Wildcard binds do not name a host a client could use. */
const WILDCARD_BINDS = new Set(["0.0.0.0", "[::]"]);

/**
 * Parses --allowed-hosts entries (host names, IP literals, `*.suffix`, or the
 * single word `any`) and adds the names the operator already gave: the host of
 * --public-url and the --host bind address, unless it is a wildcard.
 */
export function hostPolicy(entries: readonly string[] | "any", implied: { publicUrl: string | null; bindHost: string }): HostPolicy {
  if (entries === "any") return { any: true, exact: new Set(), suffixes: [] };
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === "any") throw new HostListError(`"any" cannot be combined with other hosts`);
    if (entry.startsWith("*.")) {
      const suffix = entry.slice(2).replace(/\.+$/, "");
      if (!HOST_NAME.test(suffix)) throw new HostListError(`"${raw}" is not a *.suffix pattern (e.g. *.example.com)`);
      suffixes.push(`.${suffix}`);
      continue;
    }
    const bracketed = /^[0-9a-f:]*:[0-9a-f:.]*$/.test(entry) ? `[${entry}]` : entry;
    const host = canonicalHost(bracketed);
    if (host === null || /:\d*$/.test(bracketed.replace(/^\[.*\]/, ""))) {
      throw new HostListError(`"${raw}" is not a host name or IP address (give no scheme, port or path)`);
    }
    exact.add(host);
  }
  if (implied.publicUrl !== null) exact.add(new URL(implied.publicUrl).hostname.replace(/\.+$/, ""));
  const bind = canonicalHost(implied.bindHost.includes(":") && !implied.bindHost.startsWith("[") ? `[${implied.bindHost}]` : implied.bindHost);
  if (bind !== null && !WILDCARD_BINDS.has(bind)) exact.add(bind);
  return { any: false, exact, suffixes };
}

/** Whether a Host header value may reach the guarded surfaces. */
export function hostAllowed(policy: HostPolicy, hostHeader: string | undefined): boolean {
  if (policy.any) return true;
  if (hostHeader === undefined) return false;
  const host = canonicalHost(hostHeader);
  if (host === null) return false;
  return isLoopbackName(host) || policy.exact.has(host) || policy.suffixes.some((s) => host.endsWith(s));
}

/**
 * Origins, besides the request's own, whose pages may change the mock's
 * state: the --public-url origin (the dashboard behind a proxy) and any origin
 * on a host listed in --allowed-hosts. Loopback names are not implied here: a
 * page on localhost:3000 is another site's page, not the dashboard.
 */
export interface OriginPolicy {
  readonly publicOrigin: string | null;
  readonly hosts: HostPolicy | null;
}

export function originPolicy(allowedHosts: readonly string[] | "any", publicUrl: string | null): OriginPolicy {
  const hosts = allowedHosts === "any" || allowedHosts.length === 0 ? null : hostPolicy(allowedHosts, { publicUrl: null, bindHost: "" });
  return { publicOrigin: publicUrl === null ? null : new URL(publicUrl).origin, hosts };
}
