import { BlockList, isIP } from "node:net";

/** Expands a valid IPv6 literal (already checked with isIP) into 16 bytes. */
export function ipv6Bytes(addr: string): number[] {
  let text = addr;
  // A trailing dotted quad stands for the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/**
 * Special-purpose address ranges (IANA registries), by the name a refusal
 * gives them. Anything outside them is "public": where a shared mock may send
 * webhooks without an allow-list.
 */
const RANGES: ReadonlyArray<readonly [label: string, net: string, prefix: number]> = [
  ["unspecified", "0.0.0.0", 8],
  ["private", "10.0.0.0", 8],
  ["shared (CGNAT)", "100.64.0.0", 10],
  ["loopback", "127.0.0.0", 8],
  ["link-local", "169.254.0.0", 16],
  ["private", "172.16.0.0", 12],
  ["reserved", "192.0.0.0", 24],
  ["documentation", "192.0.2.0", 24],
  ["private", "192.168.0.0", 16],
  ["benchmarking", "198.18.0.0", 15],
  ["documentation", "198.51.100.0", 24],
  ["documentation", "203.0.113.0", 24],
  ["multicast", "224.0.0.0", 4],
  ["reserved", "240.0.0.0", 4],
  ["unspecified", "::", 128],
  ["loopback", "::1", 128],
  ["discard", "100::", 64],
  ["reserved", "2001::", 23],
  ["documentation", "2001:db8::", 32],
  ["private", "fc00::", 7],
  ["link-local", "fe80::", 10],
  ["site-local", "fec0::", 10],
  ["multicast", "ff00::", 8],
];

const lists = new Map<string, BlockList>();
for (const [label, net, prefix] of RANGES) {
  let list = lists.get(label);
  if (!list) lists.set(label, (list = new BlockList()));
  list.addSubnet(net, prefix, net.includes(":") ? "ipv6" : "ipv4");
}

/**
 * An IPv4 address an IPv6 one carries and would reach: mapped (::ffff:a.b.c.d),
 * the old compatible form (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
 */
function embeddedV4(address: string): string | null {
  const b = ipv6Bytes(address);
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4 = (at: number) => b.slice(at, at + 4).join(".");
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12);
  if (zeros(0, 12) && !zeros(12, 15)) return v4(12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return v4(12);
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2);
  return null;
}

/** null for a public address, else the kind of special address it is ("loopback", "private", …). */
export function addressClass(address: string): string | null {
  const bare = address.replace(/^\[(.*)\]$/, "$1");
  const family = isIP(bare);
  if (family === 0) return "not an IP address";
  if (family === 6) {
    const inner = embeddedV4(bare);
    if (inner !== null) return addressClass(inner);
  }
  for (const [label, list] of lists) if (list.check(bare, family === 4 ? "ipv4" : "ipv6")) return label;
  return null;
}
