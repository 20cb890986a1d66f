import { readFileSync } from "node:fs";
import { KeyFileError, parseKeyFile, type KeyPolicy } from "./domain/key-policy.js";
import { OptionsError, type MockOptions } from "./options.js";

/** Past this a keys file is surely a mistake (a log, an image), not a list of keys. */
const MAX_KEY_FILE_BYTES = 64 * 1024 * 1024;

/**
 * The key policy of resolved options: --keys auto, or the keys file read and
 * validated now, at start-up. A bad file is an OptionsError naming --keys, the
 * file and the entry, so `serve` exits 2 with it.
 */
export function loadKeyPolicy(o: Pick<MockOptions, "keys" | "maxKeys" | "credits">, read: (path: string) => Buffer = readFileSync): KeyPolicy {
  if (o.keys === "auto") return { mode: "auto", credits: o.credits, maxKeys: o.maxKeys };
  let bytes: Buffer;
  try {
    bytes = read(o.keys);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (e as Error).message;
    throw new OptionsError(`--keys ${o.keys}: cannot read the keys file (${why})`);
  }
  if (bytes.length > MAX_KEY_FILE_BYTES) throw new OptionsError(`--keys ${o.keys}: the keys file is over ${MAX_KEY_FILE_BYTES / 1024 / 1024} MiB`);
  try {
    return { mode: "file", source: o.keys, keys: parseKeyFile(bytes.toString("utf8"), o.keys, o.credits) };
  } catch (e) {
    if (e instanceof KeyFileError) throw new OptionsError(`--keys ${e.message}`);
    throw e;
  }
}
