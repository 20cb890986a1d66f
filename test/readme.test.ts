import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { README_TABLES, renderReadme } from "../src/docs/tables.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

/** The rows of the table under a `## heading`, as arrays of cells. */
function tableUnder(heading: string): string[][] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThan(-1);
  const next = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, next === -1 ? undefined : next);
  return section
    .split("\n")
    .filter((l) => l.startsWith("|") && !/^\|[-| ]+\|$/.test(l))
    .slice(1)
    .map((l) => l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
}

describe("README.md", () => {
  it("shows the two commands in its first 40 lines", () => {
    const top = readme.split("\n").slice(0, 40).join("\n");
    expect(top).toContain("npm install && npm start");
    expect(top).toMatch(/^npm test\b/m);
  });

  it("shows a curl session against the mock", () => {
    expect(readme).toContain("## A curl session");
    expect(readme).toMatch(/curl -s http:\/\/127\.0\.0\.1:4010\/api\/v1\/models/);
    expect(readme).toMatch(/curl -s -X POST http:\/\/127\.0\.0\.1:4010\/api\/v1\/tryon/);
  });

  it("has every generated table current (run `npm run docs` when this fails)", () => {
    for (const name of Object.keys(README_TABLES)) {
      expect(readme, `README.md lacks the <!-- generated:${name} --> block; add it and run \`npm run docs\``).toContain(`<!-- generated:${name} -->\n`);
    }
    expect(renderReadme(readme) === readme, "README.md's generated tables are stale: run `npm run docs`").toBe(true);
  });

  it("fills an empty generated block and leaves unknown blocks alone", () => {
    const text = "a\n<!-- generated:rate-limits -->\n<!-- /generated -->\nb\n<!-- generated:nope -->\nkeep\n<!-- /generated -->\n";
    const out = renderReadme(text);
    expect(out).toContain(`<!-- generated:rate-limits -->\n${README_TABLES["rate-limits"]!()}\n<!-- /generated -->\nb\n`);
    expect(out).toContain("<!-- generated:nope -->\nkeep\n<!-- /generated -->");
    expect(renderReadme(out)).toBe(out);
  });

  const ambiguities = tableUnder("Where the docs are ambiguous");
  const required: [string, RegExp][] = [
    ["POST /generate", /\/generate/],
    ["failed jobs' logs vs error", /`logs`.*`error`|`error`.*`logs`/],
    ["webhooks on /tryon", /webhooks? on `?\/tryon/i],
    ["unknown or foreign job ids", /unknown or foreign job ids/i],
    ["http:// image URLs", /`http:\/\/` image urls/i],
    ["short-form model ids", /short-form model ids/i],
    ["the catalog response shape", /catalog response shape/i],
    ["a completed job's two shapes", /completed job.*`images`.*`result`/i],
  ];

  it.each(required)("records a decision on %s", (_topic, question) => {
    const row = ambiguities.find((r) => question.test(r[0]!));
    expect(row, `a row whose question matches ${question}`).toBeDefined();
    expect(row).toHaveLength(3);
    expect(row![2]!.length, "the decision cell").toBeGreaterThan(20);
  });
});
