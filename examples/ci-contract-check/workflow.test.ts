import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { createMockServer } from "artemotion-mock";
import { describe, expect, it } from "vitest";
import { parse, parseDocument } from "yaml";

const FILE = fileURLToPath(new URL("./artemotion-contract.yml", import.meta.url));
const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const text = readFileSync(FILE, "utf8");

interface Step { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown>; "continue-on-error"?: unknown }
interface Workflow {
  on: { schedule: { cron: string }[]; workflow_dispatch?: unknown };
  jobs: Record<string, { env: Record<string, string>; steps: Step[]; "continue-on-error"?: unknown }>;
}

/** Errors GitHub's own parser reports for a workflow: schema (keys, types, events) and expressions. */
async function workflowErrors(content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name: "artemotion-contract.yml", content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value === undefined || errors.length > 0) return errors;
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  return [...errors, ...(template.errors ?? []).map((e) => e.Message)];
}

describe("examples/ci-contract-check/artemotion-contract.yml", () => {
  it("is YAML without errors or warnings", () => {
    const doc = parseDocument(text);
    expect(doc.errors.map(String)).toEqual([]);
    expect(doc.warnings.map(String)).toEqual([]);
  });

  it("passes GitHub's workflow schema and expression checks, which do catch a broken copy", async () => {
    expect(await workflowErrors(text)).toEqual([]);
    const broken = text.replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest").replace("${{ !cancelled() }}", "${{ !cancelled( }}");
    expect(broken).not.toBe(text);
    const errors = await workflowErrors(broken);
    expect(errors.join("\n")).toMatch(/runs_on/);
    expect(errors.join("\n")).toMatch(/Unexpected end of expression/);
  });

  const wf = parse(text) as Workflow;
  const [job] = Object.values(wf.jobs);
  const steps = job!.steps;
  const contract = steps.find((s) => s.run?.includes("artemotion-mock contract"));

  it("runs nightly against production, within a credit budget, with the key from a secret", () => {
    expect(wf.on.schedule).toHaveLength(1);
    expect(wf.on.schedule[0]!.cron).toMatch(/^\d{1,2} \d{1,2} \* \* \*$/);
    expect(job!.env.AE_BASE_URL).toBe("https://app.artemotion.ai/api/v1");
    expect(job!.env.AE_API_KEY).toBe("${{ secrets.AE_API_KEY }}");
    expect(job!.env.AE_CONTRACT_BUDGET).toMatch(/\|\| \d+ \}\}$/);
    expect(text).not.toMatch(/ae_(live|test)_[A-Za-z0-9]/);
  });

  it("fails the job when the suite fails (drift), and uploads the JUnit report either way", () => {
    expect(contract, "a step runs `artemotion-mock contract`").toBeDefined();
    expect(contract!["continue-on-error"]).toBeUndefined();
    expect(job!["continue-on-error"]).toBeUndefined();
    expect(contract!.run).not.toMatch(/\|\|\s*true|;\s*exit 0|set \+e/);
    const junit = /--report junit:(\S+)/.exec(contract!.run!)?.[1];
    expect(junit).toBeDefined();
    const upload = steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(upload?.if).toMatch(/!cancelled\(\)|always\(\)/);
    expect(junit!.startsWith(String(upload!.with!.path))).toBe(true);
  });

  it("has a contract command that passes, as written, against a mock standing in for production", async () => {
    const mock = await createMockServer({ timing: "fast" });
    const cwd = mkdtempSync(join(tmpdir(), "ae-ci-example-"));
    try {
      expect(contract!.run).toMatch(/npx artemotion-mock contract/);
      // The step's own script, with the installed bin swapped for this repository's build.
      const script = contract!.run!.replace(/npx artemotion-mock/g, `node ${JSON.stringify(CLI)}`);
      const env = { ...process.env, AE_BASE_URL: mock.baseUrl, AE_API_KEY: "ae_test_ci_example", AE_CONTRACT_BUDGET: "40" };
      const { stdout } = await promisify(execFile)("bash", ["-eo", "pipefail", "-c", script], { cwd, env, maxBuffer: 16 << 20 });
      expect(stdout).toMatch(/Result: PASS/);
      expect(existsSync(join(cwd, "reports/contract.xml"))).toBe(true);
      expect(JSON.parse(readFileSync(join(cwd, "reports/contract.json"), "utf8"))).toMatchObject({ exitCode: 0, failed: 0 });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
      await mock.close();
    }
  }, 60_000);
});
