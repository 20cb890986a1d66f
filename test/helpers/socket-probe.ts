import net from "node:net";

/** Everything a raw TCP client saw of one HTTP exchange, byte for byte and with arrival times. */
export interface Probe {
  /** Every byte received. */
  bytes: Buffer;
  /** Each `data` event: ms since the request was written, and its size. */
  chunks: { at: number; size: number }[];
  /** The socket error (ECONNRESET for a reset), or null. */
  error: string | null;
  /** True when the peer closed cleanly (FIN: an `end` event). */
  ended: boolean;
  /** Parsed when bytes arrived: status, lower-case headers, body bytes after the blank line. */
  status: number | null;
  headers: Record<string, string>;
  body: Buffer;
  /** ms from the request to the end of the header block, and to the last byte. */
  headersAt: number | null;
  lastByteAt: number | null;
}

export interface ProbeRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * One HTTP/1.1 request over node:net (not fetch: fetch hides resets, empty
 * replies and timing), with `Connection: close`, read until the socket closes.
 */
export function probe(port: number, r: ProbeRequest): Promise<Probe> {
  const body = r.body === undefined ? "" : JSON.stringify(r.body);
  const lines = [`${r.method} ${r.path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, "Connection: close"];
  for (const [k, v] of Object.entries(r.headers ?? {})) lines.push(`${k}: ${v}`);
  if (body !== "") lines.push("Content-Type: application/json", `Content-Length: ${Buffer.byteLength(body)}`);
  const request = `${lines.join("\r\n")}\r\n\r\n${body}`;
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const got: Buffer[] = [];
    const chunks: Probe["chunks"] = [];
    let error: string | null = null;
    let ended = false;
    let headersAt: number | null = null;
    let t0 = 0;
    socket.on("connect", () => {
      t0 = performance.now();
      socket.write(request);
    });
    socket.on("data", (c: Buffer) => {
      const at = performance.now() - t0;
      got.push(c);
      chunks.push({ at, size: c.length });
      if (headersAt === null && Buffer.concat(got).includes("\r\n\r\n")) headersAt = at;
    });
    socket.on("end", () => (ended = true));
    socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on("close", () => {
      const bytes = Buffer.concat(got);
      const split = bytes.indexOf("\r\n\r\n");
      const head = split < 0 ? "" : bytes.subarray(0, split).toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(head);
      const headers: Record<string, string> = {};
      for (const line of head.split("\r\n").slice(1)) {
        const i = line.indexOf(":");
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({
        bytes, chunks, error, ended, status: m ? Number(m[1]) : null, headers, body: split < 0 ? Buffer.alloc(0) : bytes.subarray(split + 4),
        headersAt, lastByteAt: chunks.at(-1)?.at ?? null,
      });
    });
  });
}

/** Whether a buffer is valid JSON. */
export function isJson(b: Buffer): boolean {
  try {
    JSON.parse(b.toString("utf8"));
    return true;
  } catch {
    return false;
  }
}
