// Summarises a .cpuprofile written by `node --cpu-prof`: self time by package or
// file, then functions by inclusive share of the non-idle samples.
//
//   node bench/cpuprofile-summary.mjs PROFILE.cpuprofile [filter-regexp] [rows]
import { readFileSync } from "node:fs";

const [file, filter, rowsArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/cpuprofile-summary.mjs PROFILE.cpuprofile [filter-regexp] [rows]");
  process.exit(2);
}
const rows = Number(rowsArg ?? 30);
const prof = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map();
for (const s of prof.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const msPerSample = (prof.endTime - prof.startTime) / prof.samples.length / 1000;

const where = (cf) => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(cf.url);
  return pkg ? pkg[1] : cf.url.replace(/^file:\/\/.*?\/(dist|src|bench)\//, "$1/") || `(${cf.functionName})`;
};
const label = (cf) => `${cf.functionName || "(anonymous)"} ${where(cf)}:${cf.lineNumber + 1}`;

const self = new Map();
const inclusive = new Map();
let busy = 0;
for (const [id, count] of hits) {
  const cf = byId.get(id).callFrame;
  if (cf.functionName === "(idle)") continue;
  busy += count;
  self.set(where(cf), (self.get(where(cf)) ?? 0) + count);
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const l = label(byId.get(at).callFrame);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + count);
  }
}
const pct = (n) => `${((n / busy) * 100).toFixed(1).padStart(5)} %`;
console.log(`${(busy * msPerSample).toFixed(0)} ms of non-idle samples\n\nself time by package or file:`);
for (const [k, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${pct(n)}  ${k}`);
console.log("\ninclusive share by function:");
const re = filter ? new RegExp(filter) : null;
for (const [k, n] of [...inclusive].sort((a, b) => b[1] - a[1]).filter(([k]) => !re || re.test(k)).slice(0, rows)) console.log(`${pct(n)}  ${k}`);
