import http from "node:http";

export interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed JSON, or null. */
  body: any;
}

/**
 * One HTTP request with exactly the headers given, Host included (fetch may
 * not set Host, Origin or Sec-Fetch-*). It always connects to `origin`, a
 * loopback address: a foreign Host header is only a header, no traffic leaves.
 */
export function raw(origin: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawReply> {
  const target = new URL(origin + path); // not new URL(path, origin): "//x" would name a host
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method, headers: { ...(body !== undefined ? { "Content-Length": String(Buffer.byteLength(body)) } : {}), ...headers }, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => {
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}
