import { open, rename, unlink } from "node:fs/promises";
import { jobToData, type JobData } from "../../domain/jobs.js";
import type { MemoryStore } from "../memory/store.js";
import { encodeJobs, FORMAT, VERSION, type Meta, type Seqs } from "./records.js";
import type { StateDir } from "./state-dir.js";

/** Jobs per snapshot line, and bytes per write: each write lets requests in between. */
export interface SnapshotSizes {
  jobsPerLine: number;
  writeBytes: number;
}
export const SNAPSHOT_SIZES: SnapshotSizes = { jobsPerLine: 500, writeBytes: 1 << 20 };

export class SnapshotAborted extends Error {}

/**
 * Writes the whole state to snapshot.tmp, syncs it and renames it over
 * snapshot.jsonl. It runs while the store keeps serving: between writes the
 * state moves on, so the snapshot may hold some changes newer than its start.
 * That is harmless because every change since its start is also in log
 * generation `fromLog` and later, which a load replays on top of it.
 * Returns the snapshot's size in bytes.
 */
export async function writeSnapshot(store: MemoryStore, dir: StateDir, fromLog: number, aborted: () => boolean, sizes = SNAPSHOT_SIZES): Promise<number> {
  const fh = await open(dir.tmp, "w");
  let bytes = 0;
  let records = 0;
  let text = "";
  const put = async (line: string, force = false) => {
    if (line) {
      text += line + "\n";
      records++;
    }
    if (text.length < sizes.writeBytes && !force) return;
    if (aborted()) throw new SnapshotAborted();
    await fh.appendFile(text);
    bytes += Buffer.byteLength(text);
    text = "";
  };
  try {
    const meta: Meta = { t: "meta", format: FORMAT, v: VERSION, seed: store.config.seed, log: fromLog };
    const seqs: Seqs = { t: "seqs", ids: store.idsDrawn, delivery: store.deliveryLog.lastSeq, arm: store.armings.lastId };
    await put(JSON.stringify(meta));
    await put(JSON.stringify(seqs));
    await put(JSON.stringify({ t: "clock", ...store.clockState.state() }));
    for (const account of store.accountsById.list()) await put(JSON.stringify({ t: "account", account }));
    for (const key of store.accountsById.deletedKeys()) await put(JSON.stringify({ t: "deleted", key, deleted: true }));
    await put(JSON.stringify({ t: "armed", list: store.armings.list() }));
    // A live iterator: jobs added meanwhile are visited, removed ones are not.
    let chunk: JobData[] = [];
    for (const job of store.jobIndex.all()) {
      chunk.push(jobToData(job));
      if (chunk.length === sizes.jobsPerLine) {
        await put(encodeJobs(chunk));
        chunk = [];
      }
    }
    if (chunk.length) await put(encodeJobs(chunk));
    for (const record of store.deliveryLog.list()) await put(JSON.stringify({ t: "delivery", record }));
    await put(JSON.stringify({ t: "end", records: records + 1 }), true);
    await fh.datasync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(dir.tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  await rename(dir.tmp, dir.snapshot);
  await dir.syncDir();
  return bytes;
}
