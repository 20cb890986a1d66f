// The mock as it was before round 2 (or any git ref), built beside the working
// tree, so `npm run bench` can measure today's memory store against it in the
// same run. Built once per commit into the OS temp dir; it reuses this
// checkout's node_modules (the old code needs a subset of today's packages).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { ROOT } from "./lib.mjs";

/** The last commit of round 1: one Express app, the in-process state, no store interface. */
export const DEFAULT_BASELINE = "895ce0f";

/** Returns the baseline's dist/cli/main.js, or { error } when it cannot be built (no git history, say). */
export function prepareBaseline(ref = process.env.BENCH_BASELINE ?? DEFAULT_BASELINE) {
  let sha;
  try {
    sha = execFileSync("git", ["-C", ROOT, "rev-parse", "--short=12", `${ref}^{commit}`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return { error: `git ref ${ref} not found (a tarball or shallow clone has no history); set BENCH_BASELINE or BENCH_BASELINE=none` };
  }
  const dir = join(os.tmpdir(), `artemotion-mock-baseline-${sha}`);
  const main = join(dir, "dist/cli/main.js");
  if (!existsSync(main)) {
    mkdirSync(dir, { recursive: true });
    execFileSync("sh", ["-c", `git -C "${ROOT}" archive ${sha} | tar -x -C "${dir}"`]);
    if (!existsSync(join(dir, "node_modules"))) symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: dir, stdio: "inherit" });
  }
  return { sha, main };
}
