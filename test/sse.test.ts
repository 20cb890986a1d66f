import net from "node:net";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/server.js";
import { TestClient, TRYON_BODY } from "./helpers/client.js";

interface SseEvent {
  id: string | null;
  event: string | null;
  data: any;
}

/** Reads an SSE stream with node:http until `until` says stop; comments (heartbeats) are kept too. */
function readStream(url: string, headers: Record<string, string>, until: (events: SseEvent[], comments: string[]) => boolean): Promise<{ events: SseEvent[]; comments: string[]; status: number; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buf += chunk;
        let end;
        while ((end = buf.indexOf("\n\n")) !== -1) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const e: SseEvent = { id: null, event: null, data: null };
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) comments.push(line.slice(1).trim());
            else if (line.startsWith("id: ")) e.id = line.slice(4);
            else if (line.startsWith("event: ")) e.event = line.slice(7);
            else if (line.startsWith("data: ")) e.data = JSON.parse(line.slice(6));
          }
          if (e.event) events.push(e);
        }
        if (until(events, comments)) {
          req.destroy();
          resolve({ events, comments, status: res.statusCode!, type: String(res.headers["content-type"]) });
        }
      });
    });
    req.on("error", (e) => ((e as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(e)));
  });
}

describe("GET /__mock/events", () => {
  let server: MockServer;
  let api: TestClient;
  beforeAll(async () => {
    server = await createMockServer({ seed: 4, sseHeartbeatMs: 50 });
    api = new TestClient(server, "ae_test_ssestream01");
    server.freeze();
  });
  afterAll(() => server.close());

  it("streams typed events with ids, keys masked, as they happen", async () => {
    const reading = readStream(`${server.origin}/__mock/events`, {}, (events) => events.some((e) => e.event === "request"));
    await new Promise((r) => setTimeout(r, 50));
    await api.post("/tryon", TRYON_BODY);
    const { events, status, type } = await reading;
    expect([status, type]).toEqual([200, "text/event-stream; charset=utf-8"]);
    const kinds = events.map((e) => `${e.event}:${e.data.action}`);
    expect(kinds).toEqual(expect.arrayContaining(["account:created", "account:charged", "job:created", "request:request"]));
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(JSON.stringify(events)).not.toContain(api.key);
    expect(events.find((e) => e.event === "job")!.data.data).toMatchObject({ key: expect.stringContaining("…"), model_id: "image-apps-v2/virtual-try-on" });
  });

  it("replays what was missed after Last-Event-ID, then goes on live, and can be narrowed by kind", async () => {
    server.advance(1_000);
    server.advance(2_000);
    const advances = (events: SseEvent[]) => events.filter((e) => e.data.action === "advance");
    const all = await readStream(`${server.origin}/__mock/events?kinds=clock`, { "Last-Event-ID": "0" }, (events) => advances(events).length >= 2);
    expect(all.events[0]!.data.action).toBe("freeze");
    const [a, b] = advances(all.events);
    expect([a!.data.data.advanced_ms, b!.data.data.advanced_ms]).toEqual([1_000, 2_000]);
    const resumed = await readStream(`${server.origin}/__mock/events?kinds=clock`, { "Last-Event-ID": a!.id! }, (events) => events.length >= 1);
    expect(resumed.events[0]!.id).toBe(b!.id);
    expect(resumed.events.every((e) => e.event === "clock")).toBe(true);
  });

  it("sends a heartbeat comment while nothing happens", async () => {
    const { comments } = await readStream(`${server.origin}/__mock/events`, {}, (_e, comments) => comments.includes("heartbeat"));
    expect(comments).toContain("heartbeat");
  });
});

describe("GET /__mock/events under a reader that does not keep up", () => {
  it("cuts a reader that falls more than 1 MB behind, and goes on serving (events after the cut write nowhere)", async () => {
    const mock = await createMockServer({ logLevel: "silent" });
    try {
      // 1,000 journaled requests with 8 kB paths: an 8 MB backlog for Last-Event-ID: 0.
      const long = "x".repeat(8_000);
      for (let i = 0; i < 1_000; i++) await fetch(`${mock.baseUrl}/${long}${i}`).then((r) => r.arrayBuffer());
      const socket = net.connect(mock.port, "127.0.0.1");
      socket.on("error", () => {});
      socket.pause();
      socket.write("GET /__mock/events HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: 0\r\n\r\n");
      // Same process: by the time the first bytes can be read here, the server's replay has run.
      await new Promise((r) => socket.once("readable", r));
      let received = 0;
      socket.on("data", (d: Buffer) => (received += d.length));
      const closed = new Promise((r) => socket.once("close", r));
      socket.resume();
      await closed;
      expect(received).toBeLessThan(8_000_000);
      for (let i = 0; i < 5; i++) await fetch(`${mock.baseUrl}/${long}`).then((r) => r.arrayBuffer());
      expect((await fetch(`${mock.origin}/__mock/health`)).status).toBe(200);
    } finally {
      await mock.close();
    }
  });

  it("answers HEAD with the stream's headers and ends, so the connection serves the next request", async () => {
    const mock = await createMockServer({ logLevel: "silent" });
    try {
      const socket = net.connect(mock.port, "127.0.0.1");
      let text = "";
      socket.setEncoding("utf8").on("data", (d: string) => (text += d));
      socket.write("HEAD /__mock/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /__mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      await new Promise((r) => socket.once("close", r));
      expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*content-type: text\/event-stream/i);
      expect(text).toMatch(/HTTP\/1\.1 200 OK[\s\S]*HTTP\/1\.1 200 OK[\s\S]*"status":"ok"/);
    } finally {
      await mock.close();
    }
  });
});
