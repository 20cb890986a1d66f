import { isAscii } from "node:buffer";
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Job } from "../../domain/jobs.js";
import type { MemoryStore } from "../memory/store.js";
import { decodeLine, type Loaded } from "./records.js";
import type { StateDir } from "./state-dir.js";

export class StateFileError extends Error {
  override name = "StateFileError";
}

export interface LoadReport {
  jobs: number;
  accounts: number;
  /** The first log generation the snapshot needs replayed (0 without one): new logs must not come before it. */
  base: number;
  /** Log generations replayed on top of the snapshot. */
  logs: number[];
  snapshotBytes: number;
  logBytes: number;
  /** Unreadable lines skipped at the end of a log (left by a crash mid-write). */
  skipped: number;
  /** The seed the newest file was written with (undefined when there was no state). */
  seed: number | null | undefined;
}

/**
 * Rebuilds a memory store from a state directory: the snapshot, then every
 * log generation from the one the snapshot names, in order. Records are sets,
 * so a log replayed over a snapshot that already holds its changes does no
 * harm. A log's unreadable tail (a crash mid-write) is skipped with a warning;
 * an unreadable line with readable ones after it cannot come from a crash,
 * so it stops the start, naming the file and line.
 */
export function loadState(dir: StateDir, store: MemoryStore, warn: (msg: string) => void): LoadReport {
  const report: LoadReport = { jobs: 0, accounts: 0, base: 0, logs: [], snapshotBytes: 0, logBytes: 0, skipped: 0, seed: undefined };
  const ids = { max: 0 };
  let base = 0;
  if (existsSync(dir.snapshot)) {
    const { text, bytes } = readText(dir.snapshot);
    report.snapshotBytes = bytes;
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    let ended = false;
    lines.forEach((line, i) => {
      let r: Loaded;
      try {
        r = decodeLine(line);
      } catch (e) {
        throw new StateFileError(`${dir.snapshot} line ${i + 1}: ${(e as Error).message}. Snapshots are replaced atomically, so this file was changed by something else; move it away to start from the logs alone.`);
      }
      if (i === 0 && r.t !== "meta") throw new StateFileError(`${dir.snapshot} does not start with a header: not a state file.`);
      if (r.t === "meta") {
        base = report.base = r.log ?? 0;
        report.seed = r.seed;
      }
      if (r.t === "end") ended = true;
      apply(store, r, ids);
    });
    if (!ended) throw new StateFileError(`${dir.snapshot} is incomplete (no end record); move it away to start from the logs alone.`);
  }
  for (const gen of dir.logGens()) {
    if (gen < base) continue;
    const file = dir.log(gen);
    const { text, bytes } = readText(file);
    report.logBytes += bytes;
    report.logs.push(gen);
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    let firstBad = -1;
    let badBytes = 0;
    let badReason = "";
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      let r: Loaded;
      try {
        r = decodeLine(line);
      } catch (e) {
        if (firstBad < 0) [firstBad, badReason] = [i, (e as Error).message];
        badBytes += Buffer.byteLength(line) + 1;
        continue;
      }
      if (firstBad >= 0) {
        throw new StateFileError(
          `${file} line ${firstBad + 1} is unreadable (${badReason}) but line ${i + 1} after it is fine: a crash only tears the last line, so the file was changed by something else. Fix or delete that line, or move ${basename(file)} away (losing its changes), and start again.`,
        );
      }
      if (r.t === "meta") report.seed = r.seed;
      apply(store, r, ids);
    }
    if (firstBad >= 0) {
      report.skipped += lines.length - firstBad;
      warn(`state file ${file}: skipped ${lines.length - firstBad} unreadable line(s) at the end (from line ${firstBad + 1}, ${badBytes} bytes), left by a crash mid-write`);
    }
  }
  store.restoreIds(ids.max);
  finish(store);
  report.jobs = store.jobIndex.size;
  report.accounts = store.accountsById.size;
  return report;
}
/** Most state files are ASCII: read as one-byte strings, they decode and parse faster. */
function readText(path: string): { text: string; bytes: number } {
  const buf = readFileSync(path);
  return { text: buf.toString(isAscii(buf) ? "latin1" : "utf8"), bytes: buf.length };
}

/** `ids` collects the highest id count seen, applied once at the end. */
function apply(store: MemoryStore, r: Loaded, ids: { max: number }): void {
  switch (r.t) {
    case "account":
      store.accountsById.restore(r.account);
      return;
    case "deleted":
      if (r.deleted) {
        store.clearState(r.key);
        store.accountsById.delete(r.key);
      } else store.accountsById.markDeleted(r.key, false);
      return;
    case "job":
      if (r.account) store.accountsById.restore(r.account);
      store.jobIndex.add(r.job);
      if (r.ids > ids.max) ids.max = r.ids;
      return;
    case "jobs":
      for (const job of r.jobs) store.jobIndex.add(job);
      return;
    case "job-counters": {
      const job = store.jobIndex.get(r.id);
      if (job) {
        job.statusErrorsLeft = r.statusErrorsLeft;
        job.notFoundPollsLeft = r.notFoundPollsLeft;
      }
      return;
    }
    case "unjob":
      store.jobIndex.remove(r.id);
      store.deliveryLog.removeJob(r.id);
      return;
    case "clock":
      store.clockState.restore({ offset: r.offset, frozenAt: r.frozenAt });
      return;
    case "armed":
      store.armings.restore(r.list);
      return;
    case "delivery":
      store.deliveryLog.put({ ...r.record });
      return;
    case "reset":
      store.clearState(r.key ?? undefined);
      return;
    case "seqs":
      if (r.ids > ids.max) ids.max = r.ids;
      store.deliveryLog.raiseSeq(r.delivery);
      store.armings.raiseLastId(r.arm);
      return;
    case "meta":
    case "end":
      return;
  }
}

/** Drops what expired while the mock was down and queues the rest's webhooks and expiry. */
function finish(store: MemoryStore): void {
  const now = store.now();
  const expired: Job[] = [];
  for (const job of store.jobIndex.all()) {
    if (job.expiresAt <= now) expired.push(job);
    else store.scheduleRestored(job);
  }
  for (const job of expired) {
    store.jobIndex.remove(job.id);
    store.deliveryLog.removeJob(job.id);
  }
}
