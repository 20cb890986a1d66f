// Preloaded (node --expose-gc --import) into an unmodified `artemotion-mock serve`
// so a benchmark can settle its memory from outside: SIGUSR2 runs two full
// collections with a turn of the loop between (so finalised objects go too),
// then writes one line "gc-settled {process.memoryUsage()}" to stderr.
// SIGUSR2 is free: Node keeps SIGUSR1 for the inspector, the CLI handles only
// SIGINT and SIGTERM.
if (typeof globalThis.gc !== "function") throw new Error("gc-on-signal.mjs needs node --expose-gc");
process.on("SIGUSR2", () => {
  globalThis.gc();
  setImmediate(() => {
    globalThis.gc();
    process.stderr.write(`gc-settled ${JSON.stringify(process.memoryUsage())}\n`);
  });
});
