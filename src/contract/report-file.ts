import { accessSync, constants, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

/**
 * `--report KIND:PATH` files of `contract` and `drift`. A path that cannot be
 * written is a configuration error (exit 2), never "differences found" or
 * "contract failure", so both commands check it before doing any work (a
 * contract run against a paid API should not spend credits only to lose its
 * report) and guard the write itself.
 */

/** Creates the missing folders of a report path; a sentence naming the path when it cannot be written there. */
export function prepareReportPath(path: string): string | null {
  const abs = resolve(path);
  try {
    mkdirSync(dirname(abs), { recursive: true });
    accessSync(dirname(abs), constants.W_OK);
    if (statSync(abs, { throwIfNoEntry: false })?.isDirectory()) return `cannot write the report ${abs}: it is a directory`;
    return null;
  } catch (e) {
    return `cannot write the report ${abs}: ${reasonOf(e)}`;
  }
}

/** Writes a report, creating missing folders; a sentence naming the path when that fails. */
export function writeReport(path: string, text: string): string | null {
  const abs = resolve(path);
  try {
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    return null;
  } catch (e) {
    return `cannot write the report ${abs}: ${reasonOf(e)}`;
  }
}

function reasonOf(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const what: Record<string, string> = {
    ENOTDIR: "a part of the path is a file, not a folder",
    // mkdir -p answers EEXIST when a part of the path exists as something other than a folder.
    EEXIST: "a part of the path is a file, not a folder",
    EACCES: "permission denied",
    EPERM: "permission denied",
    EISDIR: "it is a directory",
    EROFS: "the file system is read-only",
  };
  return (err.code && what[err.code]) ?? err.message ?? String(e);
}
