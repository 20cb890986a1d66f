// A try-on with two 10 MB images as base64 data URLs (28 MB of JSON), answered
// by a mock started as a child: the server time is the journal's duration_ms,
// from the request's arrival to its answer, body receipt included. The client
// is this process, sending prepared bytes on a raw socket so its own work does
// not count. Used by npm run bench (the "large body" target); runs alone too.
import net from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { HOST, MOCK_READY, ROOT, killChild, median, round2, spawnChild } from "./lib.mjs";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function requestBytes(host, key) {
  const image = Buffer.alloc(10 * 1024 * 1024, 7);
  PNG_SIGNATURE.copy(image);
  const url = `data:image/png;base64,${image.toString("base64")}`;
  const body = Buffer.from(JSON.stringify({ person_image_url: url, garment_image_url: url, garment_type: "top" }));
  const head = `POST /api/v1/tryon HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  return { bytes: Buffer.concat([Buffer.from(head), body]), bodyBytes: body.length };
}

function send(port, bytes) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const socket = net.connect(port, HOST, () => socket.end(bytes));
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1").split("\r\n")[0]));
  });
}

/** Median server and client times over `runs` requests. */
export async function measureLargeBody(runs = 7) {
  const { child, match } = await spawnChild(process.execPath, [join(ROOT, "dist/cli/main.js"), "serve", "--host", HOST, "--port", "0", "--rate-limits", "off", "--log-level", "silent", "--credits", "1000000"], { ready: MOCK_READY });
  try {
    const origin = new URL(match[1]);
    const { bytes, bodyBytes } = requestBytes(origin.host, "ae_test_largebody001");
    const server = [];
    const client = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const status = await send(origin.port, bytes);
      client.push(performance.now() - t0);
      if (!status.includes(" 202 ")) throw new Error(`large body: the mock answered ${status}`);
      const journal = await (await fetch(`${origin.origin}/__mock/requests?limit=1`)).json();
      server.push(journal.requests[0].duration_ms);
    }
    return { body_mb: round2(bodyBytes / 1e6), runs, server_ms: round2(median(server)), client_ms: round2(median(client)), server_runs_ms: server.map(round2) };
  } finally {
    killChild(child);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await measureLargeBody(Number(process.env.BENCH_LARGE_RUNS ?? 7));
  console.log(`try-on with two 10 MB data URLs (${r.body_mb} MB of JSON): server ${r.server_ms} ms (median of ${r.runs}: ${r.server_runs_ms.join(", ")}), client round trip ${r.client_ms} ms`);
}
