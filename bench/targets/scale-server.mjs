// The mock for bench/scale.mjs, in its own process (started with --expose-gc)
// so the load generator's memory and CPU stay out of the readings. It prints
// "ready ORIGIN", then answers IPC requests for memory figures after a forced GC.
import { createMockServer } from "../../dist/index.js";

const server = await createMockServer({
  host: "127.0.0.1",
  port: 0,
  rateLimits: false,
  timing: "fast",
  credits: 1_000_000_000,
  logLevel: "silent",
});
// The memory store behind the server: its sizes are what the scale bench reports.
const { store } = server.mock;

const tick = (ms) => new Promise((r) => (ms ? setTimeout(r, ms) : setImmediate(r)));

/** Two full collections with a turn of the loop between, so finalised objects are gone too. */
async function fullGc() {
  global.gc();
  await tick();
  global.gc();
}

process.on("message", async (msg) => {
  if (msg.type === "mem") {
    await fullGc();
    const first = process.memoryUsage();
    let m = first;
    let rounds = 1;
    if (msg.settle) {
      // V8 compacts a few pages per collection and shrinks the young generation only once the
      // process is idle: collect every 250 ms until RSS stops moving (`stable` readings in a
      // row within 0.5 MB), at most `rounds` collections.
      const { stable, rounds: maxRounds } = msg.settle;
      let still = 0;
      while (still < stable && rounds < maxRounds) {
        await tick(250);
        await fullGc();
        const next = process.memoryUsage();
        still = Math.abs(next.rss - m.rss) < 512 * 1024 ? still + 1 : 0;
        m = next;
        rounds++;
      }
    }
    process.send({
      id: msg.id, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external,
      firstRss: first.rss, firstHeapTotal: first.heapTotal, rounds,
      jobs: store.jobIndex.size, deliveries: store.deliveryLog.size, journal: store.journal.size,
    });
  } else if (msg.type === "close") {
    await server.close();
    process.exit(0);
  }
});
console.log(`ready ${server.origin}`);
