/** Pure formatting for the dashboard: no DOM, so the unit tests run it under Node. */

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Virtual time of day in UTC, e.g. 10:04:05. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** e.g. 2026-12-01 10:04:05 UTC. */
export function clockDateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${clockTime(ms)} UTC`;
}

/** 950 ms, 12 s, 3 min 5 s, 2 h 4 min, 3 d 1 h. */
export function duration(ms: number): string {
  const a = Math.abs(ms);
  if (a < 1000) return `${Math.round(a)} ms`;
  const s = Math.floor(a / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "in 12 s" or "3 min ago", relative to virtual now. */
export function relative(at: number, now: number): string {
  if (Math.abs(at - now) < 500) return "now";
  return at > now ? `in ${duration(at - now)}` : `${duration(now - at)} ago`;
}

export const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`;

/**
 * Masks a key the way the server does (ae_test_abcd…1234). The server's mask
 * is the source; this only covers an older mock that listed some keys raw.
 */
export function maskKey(key: string): string {
  const m = /^(ae_(?:live|test)_)(.*)$/.exec(key);
  if (!m) return key.includes("…") || key.startsWith("k_") ? key : "***";
  const rest = m[2]!;
  if (rest.includes("…")) return key;
  return rest.length <= 8 ? `${m[1]}${rest.slice(0, 2)}…` : `${m[1]}${rest.slice(0, 4)}…${rest.slice(-4)}`;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A request from the journal as a curl command. The key stays masked: the
 * command reads it from $AE_API_KEY. The journal keeps no bodies, so a POST
 * reads its body from body.json.
 */
export function curlFor(entry: { method: string; path: string; query?: string | undefined; key: string | null }, origin: string): string {
  const query = entry.query ? `?${entry.query}` : "";
  const lines = [`curl -X ${entry.method} ${shellQuote(origin + entry.path + query)}`];
  if (entry.key !== null) lines.push(`  -H "Authorization: Bearer $AE_API_KEY"`);
  if (entry.method === "POST" || entry.method === "PUT") lines.push(`  -H 'Content-Type: application/json' -d @body.json`);
  const head = entry.key !== null ? `# key ${maskKey(entry.key)}: set AE_API_KEY to it first\n` : "";
  return head + lines.join(" \\\n");
}

/** The rows a window of `height` px shows at `scrollTop`, plus `overscan` rows either side. */
export function visibleRange(scrollTop: number, height: number, rowHeight: number, count: number, overscan = 6): { start: number; end: number } {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const shown = Math.ceil(Math.max(0, height) / rowHeight) + 1;
  return { start: Math.max(0, first - overscan), end: Math.min(count, first + shown + overscan) };
}

/** The first `n` characters of an id, for dense tables; the full id goes in a title. */
export const shortId = (id: string, n = 8): string => (id.length > n ? id.slice(0, n) : id);

/** Strips the registry's markdown code spans for plain text. */
export const plain = (md: string): string => md.replace(/`([^`]*)`/g, "$1");
