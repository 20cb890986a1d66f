import { open, type FileHandle } from "node:fs/promises";
import type { Change } from "../memory/changes.js";
import { encodeChange, FORMAT, VERSION, type Meta } from "./records.js";

/**
 * One log generation: changes are queued as they happen (the store never
 * waits on the disk) and appended together by flush(), one write at a time.
 * Lines are encoded at flush time, off the request path; the queued changes
 * are copies, so they say what the state was when they happened.
 */
export class LogWriter {
  readonly gen: number;
  readonly path: string;
  #queue: Change[] = [];
  #fh: Promise<FileHandle> | null = null;
  #writing: Promise<void> | null = null;
  #seed: number | null;
  #ready: Promise<void>;
  /** Bytes appended so far, the header included. */
  bytes = 0;
  lastError: Error | null = null;

  /**
   * `after`: the previous generation's close. Nothing is written before it
   * settles, so a crash can lose only the newest changes, never a run of
   * older ones with newer ones kept (a charge kept without its job).
   */
  constructor(gen: number, path: string, seed: number | null, after?: Promise<unknown>) {
    this.gen = gen;
    this.path = path;
    this.#seed = seed;
    this.#ready = after ? after.then(() => {}, () => {}) : Promise.resolve();
  }

  push(c: Change): void {
    this.#queue.push(c);
  }

  /** Hands over what is still queued (to the next generation, when this one cannot be written). */
  takePending(): Change[] {
    const q = this.#queue;
    this.#queue = [];
    return q;
  }

  prepend(changes: Change[]): void {
    this.#queue = changes.concat(this.#queue);
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Appends everything queued so far; resolves once it is in the file (the OS has it: a killed process loses nothing written). */
  flush(): Promise<void> {
    if (this.#writing) return this.#writing.then(() => this.flush());
    if (this.#queue.length === 0) return Promise.resolve();
    this.#writing = this.#write().finally(() => {
      this.#writing = null;
    });
    return this.#writing;
  }

  async #write(): Promise<void> {
    await this.#ready;
    const batch = this.#queue;
    this.#queue = [];
    let text = "";
    for (const c of batch) text += encodeChange(c) + "\n";
    let fh: FileHandle | null = null;
    let before = 0;
    try {
      fh = await this.#handle();
      before = (await fh.stat()).size;
      await fh.appendFile(text);
      this.bytes += Buffer.byteLength(text);
      this.lastError = null;
    } catch (e) {
      // A short write (a full disk) leaves part of a line: cut it, or the retried batch would follow
      // it and the log would have an unreadable line before readable ones, which refuses to load.
      if (fh) await fh.truncate(before).catch(() => {});
      // Kept for the next flush: a full disk may recover.
      this.#queue = batch.concat(this.#queue);
      this.lastError = e as Error;
      throw e;
    }
  }

  #handle(): Promise<FileHandle> {
    return (this.#fh ??= (async () => {
      const fh = await open(this.path, "a");
      const meta: Meta = { t: "meta", format: FORMAT, v: VERSION, seed: this.#seed };
      const header = JSON.stringify(meta) + "\n";
      try {
        await fh.appendFile(header);
      } catch (e) {
        await fh.truncate(0).catch(() => {});
        await fh.close().catch(() => {});
        throw e;
      }
      this.bytes += Buffer.byteLength(header);
      return fh;
    })().catch((e) => {
      this.#fh = null;
      throw e;
    }));
  }

  /** Flushes, syncs to the disk and closes. */
  async close(): Promise<void> {
    await this.flush();
    if (!this.#fh) return;
    const fh = await this.#fh;
    this.#fh = null;
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }
}
