import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runDriftCli } from "../src/cli/drift.js";
import { RECORDING_FORMAT, type RecordedExchange } from "../src/contract/recording.js";
import { tryonCatalogBody } from "../src/domain/catalog.js";
import { createMockServer } from "../src/server.js";
import { startDriftProxy } from "./helpers/drift-proxy.js";

/** A hand-made recording of one GET /models whose answer carries one extra field per model. */
function recording(extra: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "driftcli-"));
  const models = tryonCatalogBody().models.map((m) => ({ ...m, ...extra }));
  const x: RecordedExchange = {
    kind: "api", operationId: "listModels", time: new Date(0).toISOString(), startedMs: 1, durationMs: 1,
    request: { method: "GET", url: "https://live.example/api/v1/models", path: "/api/v1/models", query: {}, headers: { accept: "application/json" } },
    response: { status: 200, headers: { "content-type": "application/json" }, body: { models } },
  };
  mkdirSync(join(dir, "tests"));
  writeFileSync(join(dir, "tests", "one.json"), JSON.stringify({ format: RECORDING_FORMAT, test: "[free] GET /models", state: "passed", reason: null, startedMs: 1, exchanges: [x], webhooks: [] }));
  writeFileSync(join(dir, "index.json"), JSON.stringify({
    format: RECORDING_FORMAT, createdAt: "", tool: { name: "artemotion-mock", version: "0" }, target: { baseUrl: "https://live.example/api/v1", isMock: false, timing: null },
    redaction: { rules: [], configuredValues: 0 }, tests: [{ name: "[free] GET /models", file: "tests/one.json", state: "passed", exchanges: 1, webhooks: 0 }], totals: { tests: 1, exchanges: 1, webhooks: 0 },
  }));
  return dir;
}

async function drift(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runDriftCli(args, { log: (s) => lines.push(s), err: (s) => lines.push(s) });
  return { code, out: lines.join("\n") };
}

describe("artemotion-mock drift", () => {
  it("reports a field only the recorded target sends as additive with a proposal, passing by default and failing with --fail-on additive", async () => {
    const dir = recording({ region: "eu" });
    const loose = await drift([dir]);
    expect(loose.code).toBe(0);
    expect(loose.out).toMatch(/additive\s+listModels 200\s+\$\.models\[\*\]\.region\s+string\s+—\s+1/);
    expect(loose.out).toContain("openapi.yaml: add `$.models[*].region` (string) to listModels 200");
    const xml = join(dir, "d.xml");
    const strict = await drift([dir, "--fail-on", "additive", "--report", `junit:${xml}`]);
    expect(strict.code).toBe(1);
    expect(readFileSync(xml, "utf8")).toContain('<testcase classname="drift" name="[free] GET /models"><failure message="1 difference(s)">additive listModels 200 $.models[*].region');
  });

  it("replays against --against URL: a running mock, or a target without a control API in real time", async () => {
    const mock = await createMockServer();
    const proxy = await startDriftProxy(mock.origin, { name: "looks live", hideControl: true });
    try {
      const dir = recording({});
      const a = await drift([dir, "--against", `${mock.baseUrl}`, "--report", `json:${dir}/a.json`]);
      expect([a.code, JSON.parse(readFileSync(`${dir}/a.json`, "utf8")).differences]).toEqual([0, []]);
      expect(a.out).toContain("clock driven by the recording");
      const b = await drift([dir, "--against", proxy.url]);
      expect(b.code).toBe(0);
      expect(b.out).toContain("no control API: real-time replay");
    } finally {
      await proxy.close();
      await mock.close();
    }
  });

  it("writes a --report into folders it creates when they are missing", async () => {
    const dir = recording({});
    const r = await drift([dir, "--report", `json:${dir}/reports/nightly/drift.json`, "--report", `junit:${dir}/reports/xml/drift.xml`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(`${dir}/reports/nightly/drift.json`, "utf8")).differences).toEqual([]);
    expect(readFileSync(`${dir}/reports/xml/drift.xml`, "utf8")).toContain("<testsuites");
  });

  it("exits 2, a configuration error rather than a difference, naming the path when a --report cannot be written", async () => {
    const dir = recording({ region: "eu" });
    writeFileSync(join(dir, "plain.txt"), "");
    const r = await drift([dir, "--fail-on", "additive", "--report", `json:${dir}/plain.txt/drift.json`]);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`artemotion-mock drift: cannot write the report ${dir}/plain.txt/drift.json: a part of the path is a file, not a folder`);
  });

  it.each([
    [[], "which recording?"],
    [["/nonexistent/rec"], "holds no recording"],
    [["x", "--fail-on", "minor"], "--fail-on takes breaking, behavioural, additive"],
    [["x", "--timing", "slow"], "--timing takes"],
    [["x", "--report", "xml:o"], "--report takes"],
    [["x", "--against", "ftp://h"], "not an http(s) URL"],
    [["x", "--bogus"], "Unknown option"],
  ])("%j exits 2 naming the problem", async (args, words) => {
    const r = await drift(args as string[]);
    expect(r.code).toBe(2);
    expect(r.out).toContain(words);
  });
});
