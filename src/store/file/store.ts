import { MemoryStore } from "../memory/store.js";
import type { StoreLog } from "../open.js";
import type { StoreConfig, StoreHealth } from "../types.js";
import { loadState, type LoadReport } from "./loader.js";
import { LogWriter } from "./log-writer.js";
import { SNAPSHOT_SIZES, SnapshotAborted, writeSnapshot, type SnapshotSizes } from "./snapshot.js";
import { StateDir } from "./state-dir.js";

export interface FileStoreOptions {
  log?: StoreLog;
  /** The longest a change waits in memory before it is appended to the log. */
  flushMs?: number;
  /** A log grows to at least this many bytes, and to half the snapshot's size, before it is compacted. */
  compactBytes?: number;
  /** Smaller pieces make a snapshot yield more often (tests use it to interleave changes). */
  snapshot?: SnapshotSizes;
}

export const FLUSH_MS = 100;
export const COMPACT_BYTES = 8 << 20;

/**
 * A log is compacted once it outgrows both `min` and half the snapshot: the
 * snapshot's cost is shared by many changes, and a start never replays more
 * than half a snapshot's worth of log (plus what came in during a compaction).
 */
export const compactAt = (snapshotBytes: number, min = COMPACT_BYTES) => Math.max(min, snapshotBytes / 2);

const stderrLog: StoreLog = { warn: (msg) => process.stderr.write(`artemotion-mock: ${msg}\n`) };

/**
 * The memory store plus durability (--store file:DIR). Every durable change
 * the memory store announces is queued and appended to the current log
 * generation at most `flushMs` later; a log that outgrows the snapshot is
 * folded into a new one in the background. Answers stay synchronous: the disk
 * is never on the request path.
 */
export class FileStore extends MemoryStore {
  override readonly kind = "file" as const;
  readonly dir: StateDir;
  /** What the last open() read, for the start-up line and tests. */
  lastLoad: LoadReport | null = null;
  /** Compactions finished since open, and the newest snapshot's size. */
  readonly stats = { compactions: 0, snapshotBytes: 0 };
  #log: StoreLog;
  #flushMs: number;
  #compactBytes: number;
  #sizes: SnapshotSizes;
  #writer: LogWriter | null = null;
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  #compacting: Promise<void> | null = null;
  #closing = false;
  #snapshotBytes = 0;
  #writeError: Error | null = null;

  constructor(path: string, config: StoreConfig, opts: FileStoreOptions = {}) {
    super(config);
    this.dir = new StateDir(path);
    this.#log = opts.log ?? stderrLog;
    this.#flushMs = opts.flushMs ?? FLUSH_MS;
    this.#compactBytes = opts.compactBytes ?? COMPACT_BYTES;
    this.#sizes = opts.snapshot ?? SNAPSHOT_SIZES;
  }

  get path(): string {
    return this.dir.dir;
  }

  override async open(): Promise<void> {
    this.dir.prepare();
    this.dir.lock();
    const started = performance.now();
    let report: LoadReport;
    try {
      report = loadState(this.dir, this, (msg) => this.#log.warn(msg));
    } catch (e) {
      this.dir.unlock();
      throw e;
    }
    this.lastLoad = report;
    if (report.seed !== undefined && report.seed !== this.config.seed) {
      this.#log.warn(`state in ${this.dir.dir} was written with --seed ${report.seed ?? "none"}; this run uses ${this.config.seed ?? "none"}: job ids go on without repeating, but answers differ from an uninterrupted run`);
    }
    if (report.snapshotBytes + report.logBytes > 0) {
      this.#log.info?.(`restored ${report.jobs} jobs and ${report.accounts} accounts from ${this.dir.dir} in ${Math.round(performance.now() - started)} ms`);
    }
    this.#snapshotBytes = this.stats.snapshotBytes = report.snapshotBytes;
    // Each run appends to a new generation, never after a torn line, and never one the snapshot would skip.
    const gen = Math.max(report.base, Math.max(0, ...this.dir.logGens()) + 1);
    this.#writer = new LogWriter(gen, this.dir.log(gen), this.config.seed);
    this.onChange = (c) => {
      this.#writer!.push(c);
      this.#timer ??= setTimeout(() => this.#flushSoon(), this.#flushMs);
    };
    // A delivery in flight when the last run died never settled. It is not retried (one attempt): it was abandoned.
    for (const d of this.deliveryLog.list()) {
      if (d.outcome === "pending") this.settleDelivery(d.id, { outcome: "abandoned", responseStatus: null, error: "the mock stopped before this attempt settled", durationMs: null });
    }
    // Fold what was replayed into a fresh snapshot, so the next start reads one file.
    if (report.logBytes > 0) this.#timer ??= setTimeout(() => this.#flushSoon(true), this.#flushMs);
  }

  override health(): StoreHealth {
    if (this.#writeError) return { status: "degraded", detail: `cannot write ${this.#writer?.path}: ${this.#writeError.message}` };
    return { status: "ok" };
  }

  /** Appends every change so far to the log; resolves when the file has them. */
  flush(): Promise<void> {
    const writer = this.#writer;
    if (!writer) return Promise.resolve();
    return (this.#flushing = writer.flush().then(
      () => {
        this.#writeError = null;
      },
      (e: Error) => {
        if (!this.#writeError) this.#log.warn(`cannot write the state log ${writer.path}: ${e.message}; changes are kept in memory and retried`);
        this.#writeError = e;
      },
    ));
  }

  #flushSoon(compact = false): void {
    this.#timer = null;
    if (this.#closing) return;
    void this.flush().then(() => {
      if (this.#writer && this.#writer.pending > 0) this.#timer ??= setTimeout(() => this.#flushSoon(), this.#flushMs);
      const big = this.#writer && this.#writer.bytes > compactAt(this.#snapshotBytes, this.#compactBytes);
      if ((compact || big) && !this.#compacting) void this.compact();
    });
  }

  /**
   * Writes a new snapshot and drops the logs it covers; one that starts after
   * this call (a compaction already running is waited for first). New changes
   * go to a new log generation from the moment it starts, so nothing is lost
   * between the two; a crash at any step leaves files a load can read.
   */
  compact(): Promise<void> {
    const running = this.#compacting;
    if (running) return running.then(() => this.compact());
    return (this.#compacting = this.#compact().finally(() => {
      this.#compacting = null;
    }));
  }

  async #compact(): Promise<void> {
    const old = this.#writer;
    if (!old || this.#closing || this.#writeError) return;
    // Synchronously, so every change so far goes to the old generation and every later one to the next.
    const oldClosed = old.close().catch((e: Error) => {
      // Its unwritten changes go first in the next generation, which waits for this.
      next.prepend(old.takePending());
      throw e;
    });
    const next = new LogWriter(old.gen + 1, this.dir.log(old.gen + 1), this.config.seed, oldClosed);
    this.#writer = next;
    try {
      await oldClosed;
      this.#snapshotBytes = this.stats.snapshotBytes = await writeSnapshot(this, this.dir, next.gen, () => this.#closing, this.#sizes);
      await this.dir.removeLogsBefore(next.gen);
      this.stats.compactions++;
    } catch (e) {
      if (e instanceof SnapshotAborted) return;
      this.#log.warn(`cannot compact the state in ${this.dir.dir}: ${(e as Error).message}; the logs keep every change`);
    }
  }

  override async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.onChange = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#compacting;
    await this.#flushing;
    try {
      await this.#writer?.close();
    } catch (e) {
      this.#log.warn(`cannot write the state log ${this.#writer?.path}: ${(e as Error).message}; the last changes are lost`);
    }
    this.dir.unlock();
  }
}
