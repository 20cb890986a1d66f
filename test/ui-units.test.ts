/** The dashboard's pure parts, under Node: the SSE parser, formatting, curl and windowing. */
import { describe, expect, it } from "vitest";
import { createMockServer } from "../src/server.js";
import { curlFor, duration, maskKey, relative, statusClass, visibleRange } from "../src/ui/format.js";
import { SseParser } from "../src/ui/sse.js";

describe("the dashboard's SSE parser", () => {
  it("dispatches an event only at the blank line, with its id, kind and data", () => {
    const p = new SseParser();
    expect(p.push('id: 7\nevent: job\ndata: {"a":1}\n')).toEqual([]);
    expect(p.push("\n")).toEqual([{ id: "7", event: "job", data: '{"a":1}' }]);
    expect(p.lastEventId).toBe("7");
  });

  it("joins multi-line data, accepts CRLF and CR split across chunks, and counts heartbeats", () => {
    const p = new SseParser();
    const chunks = [": heartbeat\r", "\n", "data: one\r\ndata:two\r", "\r", "id: 9\rdata: x\r\r\n"];
    const out = chunks.flatMap((c) => p.push(c));
    expect(out).toEqual([
      { id: null, event: "message", data: "one\ntwo" },
      { id: "9", event: "message", data: "x" },
    ]);
    expect(p.comments).toBe(1);
  });

  it("keeps the last id for messages without one, ignores unknown fields and bad retry values", () => {
    const p = new SseParser();
    const out = p.push("id: 3\ndata: a\n\nfoo: bar\nretry: soon\ndata: b\n\nretry: 2500\n\n");
    expect(out.map((m) => [m.id, m.data])).toEqual([
      ["3", "a"],
      ["3", "b"],
    ]);
    expect(p.retryMs).toBe(2500);
  });

  it("sends nothing for a message without data", () => {
    expect(new SseParser().push("event: clock\nid: 1\n\n")).toEqual([]);
  });
});

describe("the dashboard's formatting", () => {
  it("masks keys exactly as the server does", async () => {
    const keys = ["ae_test_abcdefgh1234", "ae_live_short123", "ae_test_qa_alice_0001"];
    const server = await createMockServer();
    try {
      for (const k of keys) await fetch(`${server.baseUrl}/models`, { headers: { Authorization: `Bearer ${k}` } }).then((r) => r.arrayBuffer());
      const journal = (await (await fetch(`${server.origin}/__mock/requests?limit=3`)).json()) as { requests: { key: string }[] };
      expect(journal.requests.map((r) => r.key).reverse()).toEqual(keys.map(maskKey));
    } finally {
      await server.close();
    }
    expect(maskKey("not-a-key")).toBe("***");
    expect(maskKey("ae_test_abcd…1234")).toBe("ae_test_abcd…1234");
    expect(maskKey("k_0123456789ab")).toBe("k_0123456789ab");
  });

  it("copies a request as curl without the key, reading it from $AE_API_KEY", () => {
    const cmd = curlFor({ method: "POST", path: "/api/v1/tryon", query: "", key: "ae_test_secretkey9876" }, "http://127.0.0.1:4010");
    expect(cmd).not.toContain("secretkey");
    expect(cmd).toContain("ae_test_secr…9876");
    expect(cmd).toContain(`curl -X POST 'http://127.0.0.1:4010/api/v1/tryon'`);
    expect(cmd).toContain('-H "Authorization: Bearer $AE_API_KEY"');
    expect(cmd).toContain("-d @body.json");
    const get = curlFor({ method: "GET", path: "/api/v1/jobs/j'1", query: "model_id=moondream2", key: null }, "http://127.0.0.1:4010");
    expect(get).toBe(`curl -X GET 'http://127.0.0.1:4010/api/v1/jobs/j'\\''1?model_id=moondream2'`);
  });

  it("writes durations and status classes for people", () => {
    expect([950, 12_000, 185_000, 3_600_000, 7_440_000, 90_000_000].map(duration)).toEqual(["950 ms", "12 s", "3 min 5 s", "1 h", "2 h 4 min", "1 d 1 h"]);
    expect(relative(10_000, 0)).toBe("in 10 s");
    expect(relative(0, 60_000)).toBe("1 min ago");
    expect([204, 302, 429, 502].map(statusClass)).toEqual(["2xx", "3xx", "4xx", "5xx"]);
  });

  it("windows 10,000 rows down to the ones in view plus a few", () => {
    expect(visibleRange(0, 260, 26, 10_000)).toEqual({ start: 0, end: 17 });
    expect(visibleRange(26 * 5_000, 260, 26, 10_000)).toEqual({ start: 4_994, end: 5_017 });
    expect(visibleRange(26 * 10_000, 260, 26, 10_000)).toEqual({ start: 9_994, end: 10_000 });
    expect(visibleRange(0, 260, 26, 0)).toEqual({ start: 0, end: 0 });
  });
});
