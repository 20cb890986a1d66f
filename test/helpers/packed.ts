import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, dirname, join, relative, resolve, sep } from "node:path";
import { OPTION_DOCS } from "../../src/options.js";

/**
 * A directory for a throwaway project whose ancestors hold no node_modules: one
 * there (this machine has /tmp/node_modules) would let the installed package
 * resolve packages its own install lacks, and the test would pass for the
 * wrong reason.
 */
export function isolatedBase(): string {
  const candidates = [process.env.ARTEMOTION_PACK_TMP, tmpdir(), join(homedir(), ".cache")].filter((d): d is string => Boolean(d));
  const polluted = (dir: string) => {
    for (let d = resolve(dir); ; d = dirname(d)) {
      if (existsSync(join(d, "node_modules"))) return join(d, "node_modules");
      if (dirname(d) === d) return null;
    }
  };
  for (const dir of candidates) {
    if (polluted(dir) !== null) continue;
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  throw new Error(`No temp directory without a node_modules above it (${candidates.map((d) => `${d}: ${polluted(d)}`).join("; ")}). Set ARTEMOTION_PACK_TMP to one.`);
}

/**
 * The environment a user's shell would give npx: without what `npm test` adds
 * (npm_package_*, the repository as local prefix, node_modules/.bin on PATH),
 * and without the mock's and the contract runner's own variables.
 */
export function userEnv(repoRoot: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^npm_(package|lifecycle)_/.test(k) || /^AE_/.test(k) || ["npm_config_local_prefix", "npm_command", "INIT_CWD"].includes(k)) delete env[k];
  }
  for (const d of OPTION_DOCS) if (d.env) delete env[d.env];
  const root = resolve(repoRoot) + sep;
  env.PATH = (env.PATH ?? "")
    .split(delimiter)
    .filter((p) => p !== "" && !(resolve(p) + sep).startsWith(root) && !/node_modules[\\/]\.bin$/.test(p) && !p.includes("node-gyp-bin"))
    .join(delimiter);
  return env;
}

export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** The first complete stdout line matching, or a rejection naming stderr if the process exits first. */
  line(re: RegExp): Promise<string>;
  /** SIGTERM to the whole process group (npx and the node it starts), then its exit code. */
  stop(): Promise<number | null>;
}

/** Starts a command in its own process group, so npx and its child are stopped together. */
export function start(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Spawned {
  const child = spawn(cmd, args, { ...opts, detached: true, stdio: "pipe" });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    line: (re) =>
      new Promise((res, rej) => {
        const check = () => {
          const found = out.split("\n").slice(0, -1).find((l) => re.test(l));
          if (found !== undefined) res(found);
        };
        child.stdout.on("data", check);
        check();
        void exited.then((code) => rej(new Error(`${cmd} ${args.join(" ")} exited ${code} before printing ${re}:\n${err}${out}`)));
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          /* already gone */
        }
      }
      return exited;
    },
  };
}

/** Runs a command to its end: its exit code and output. */
export async function runToEnd(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = start(cmd, args, opts);
  p.child.stdin.end();
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Every file under dir, relative to it, with "/" separators. */
export function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join("/"));
}
