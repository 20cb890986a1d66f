#!/usr/bin/env node
/**
 * Runs tests on other Node lines than the one installed, each fetched from the
 * npm registry as the `node` package (`npx node@LINE`), and prints a table.
 *
 *   npm run test:node-lines                                  # packaging test on 22, 24 and the newest
 *   npm run test:node-lines -- 22 26 -- test/cli.test.ts     # these lines, these files
 *   npm run test:node-lines -- latest -- .                   # the whole suite on the newest
 */
import { spawnSync } from "node:child_process";

const argv = process.argv.slice(2);
const split = argv.indexOf("--");
const lines = (split === -1 ? argv : argv.slice(0, split)).filter(Boolean);
const files = split === -1 ? [] : argv.slice(split + 1);
const wanted = lines.length > 0 ? lines : ["22", "24", "latest"];
const targets = files.length > 0 && files[0] !== "." ? files : files[0] === "." ? [] : ["test/packaging.test.ts"];

const results = [];
for (const line of wanted) {
  const version = spawnSync("npx", ["-y", `node@${line}`, "--version"], { encoding: "utf8" });
  if (version.status !== 0) {
    results.push({ line, version: "-", outcome: `not available: ${(version.stderr || "").trim().split("\n").pop()}` });
    continue;
  }
  const v = version.stdout.trim();
  console.log(`\n=== Node ${v} (node@${line}): vitest run ${targets.join(" ") || "(every test)"}\n`);
  const run = spawnSync("npx", ["-y", `node@${line}`, "node_modules/vitest/vitest.mjs", "run", ...targets], { stdio: "inherit" });
  results.push({ line, version: v, outcome: run.status === 0 ? "passed" : `FAILED (exit ${run.status})` });
}

console.log("\n| node@ | version | result |\n|---|---|---|");
for (const r of results) console.log(`| ${r.line} | ${r.version} | ${r.outcome} |`);
process.exit(results.every((r) => r.outcome === "passed") ? 0 : 1);
