import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { open, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";

const LOG_NAME = /^log-(\d{6,})\.jsonl$/;

/**
 * The files of one state directory:
 *   snapshot.jsonl      the whole state, replaced only by an atomic rename
 *   snapshot.tmp        a snapshot being written
 *   log-NNNNNN.jsonl    changes since, one generation per run or compaction
 *   lock                the pid of the process that has it open
 */
export class StateDir {
  readonly dir: string;
  readonly snapshot: string;
  readonly tmp: string;
  readonly lockFile: string;

  constructor(path: string) {
    this.dir = resolve(path);
    this.snapshot = join(this.dir, "snapshot.jsonl");
    this.tmp = join(this.dir, "snapshot.tmp");
    this.lockFile = join(this.dir, "lock");
  }

  log(gen: number): string {
    return join(this.dir, `log-${String(gen).padStart(6, "0")}.jsonl`);
  }

  /** Creates the directory if needed; refuses a path that is a file. */
  prepare(): void {
    let isDir = false;
    try {
      isDir = statSync(this.dir).isDirectory();
    } catch {
      mkdirSync(this.dir, { recursive: true });
      return;
    }
    if (!isDir) throw new Error(`${this.dir} is a file; file:PATH names a directory the mock keeps its state in`);
  }

  /** One process per directory: two writers would interleave their logs. A lock left by a dead process is taken over. */
  lock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockFile, "wx");
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const pid = Number(readFileSync(this.lockFile, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(`${this.dir} is in use by process ${pid} (see ${this.lockFile}); stop that mock or choose another directory`);
      }
      unlinkSync(this.lockFile);
    }
    throw new Error(`cannot take the lock ${this.lockFile}`);
  }

  unlock(): void {
    try {
      if (Number(readFileSync(this.lockFile, "utf8").trim()) === process.pid) unlinkSync(this.lockFile);
    } catch {
      /* already gone */
    }
  }

  /** Log generations present, oldest first. */
  logGens(): number[] {
    return readdirSync(this.dir)
      .map((n) => LOG_NAME.exec(n)?.[1])
      .filter((g): g is string => g !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  async removeLogsBefore(gen: number): Promise<void> {
    for (const g of this.logGens()) if (g < gen) await unlink(this.log(g)).catch(() => {});
  }

  /** After a rename: the directory entry itself must reach the disk. */
  async syncDir(): Promise<void> {
    const fh = await open(this.dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
