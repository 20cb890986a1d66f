import { findModel } from "../../domain/catalog.js";
import type { Job, JobData } from "../../domain/jobs.js";
import type { Change } from "../memory/changes.js";
import type { Account } from "../memory/accounts.js";

/**
 * The state directory's line format: one JSON value per line. A log holds
 * changes as the memory store announced them; a snapshot holds the same kinds
 * of records (every one a "set"), with jobs in chunks. Jobs are written as
 * rows (arrays), which halves their size and their parse time at 100k jobs.
 */
export const FORMAT = "artemotion-mock-state";
export const VERSION = 1;

export interface Meta {
  t: "meta";
  format: typeof FORMAT;
  v: number;
  /** The --seed of the run that wrote the file. */
  seed: number | null;
  /** In a snapshot: the first log generation still to replay on top of it. */
  log?: number;
}

/** Sequence numbers, so ids handed out after a restart never repeat. */
export interface Seqs {
  t: "seqs";
  ids: number;
  delivery: number;
  arm: number;
}

/**
 * Times after createdAt are stored as offsets from the moment before them,
 * and a seed of the usual form "<run seed>:<job id>" as its first part only
 * (any other seed is kept whole behind "="): a fifth less to write and parse.
 */
type JobRow = [
  id: string, key: string, kind: JobData["kind"], modelId: string, origin: string,
  createdAt: number, queueMs: number, processMs: number, outcome: JobData["outcome"], queueStart: number, keptMs: number,
  garmentType: JobData["garmentType"], vision: JobData["vision"], prompt: string | null, webhook: JobData["webhook"],
  scenario: JobData["scenario"], statusErrorsLeft: number, notFoundPollsLeft: number, seed: string,
  /** Optional at the end: rows written before faults existed have 19 fields. */
  webhookFault?: JobData["webhookFault"],
];

/** A record as read back: jobs come back as live Job objects. */
export type Loaded =
  | Exclude<Change, { t: "job" }>
  | { t: "job"; job: Job; ids: number; account?: Account }
  | { t: "jobs"; jobs: Job[] }
  | Meta
  | Seqs
  | { t: "end"; records: number };

export function jobRow(d: JobData): JobRow {
  const {
    id, key, kind, modelId, origin, createdAt, processingAt, finishedAt, outcome, queueStart, expiresAt,
    garmentType, vision, prompt, webhook, scenario, statusErrorsLeft, notFoundPollsLeft, seed, webhookFault, ...rest
  } = d;
  // A field added to JobData must be added to the row too: this fails to compile until it is.
  const unwritten: Record<string, never> = rest;
  void unwritten;
  const usualSeed = seed.endsWith(`:${id}`) && seed.indexOf(":") === seed.length - id.length - 1;
  return [
    id, key, kind, modelId, origin, createdAt, processingAt - createdAt, finishedAt - processingAt, outcome, queueStart, expiresAt - finishedAt,
    garmentType, vision, prompt, webhook, scenario, statusErrorsLeft, notFoundPollsLeft, usualSeed ? seed.slice(0, -id.length - 1) : `=${seed}`,
    ...(webhookFault ? [webhookFault] : []),
  ] as JobRow;
}

export function jobFromRow(r: unknown): Job {
  if (!Array.isArray(r) || (r.length !== 19 && r.length !== 20)) throw new Error("a job row must be an array of 19 or 20 fields");
  const row = r as JobRow;
  const model = findModel(row[3]);
  if (!model) throw new Error(`job ${row[0]} names unknown model ${row[3]}`);
  const processingAt = row[5] + row[6];
  const finishedAt = processingAt + row[7];
  return {
    id: row[0], key: row[1], kind: row[2], model, origin: row[4],
    createdAt: row[5], processingAt, finishedAt, outcome: row[8], queueStart: row[9], expiresAt: finishedAt + row[10],
    garmentType: row[11], vision: row[12], prompt: row[13], webhook: row[14],
    scenario: row[15], statusErrorsLeft: row[16], notFoundPollsLeft: row[17], seed: row[18].startsWith("=") ? row[18].slice(1) : `${row[18]}:${row[0]}`,
    webhookFault: row[19] ?? null,
  };
}

/** One change as its log line (without the newline). */
export function encodeChange(c: Change): string {
  if (c.t === "job") return JSON.stringify({ t: "job", ids: c.ids, row: jobRow(c.job), ...(c.account ? { account: c.account } : {}) });
  return JSON.stringify(c);
}

export function encodeJobs(jobs: readonly JobData[]): string {
  return JSON.stringify({ t: "jobs", rows: jobs.map(jobRow) });
}

const KINDS = new Set(["account", "deleted", "job", "jobs", "job-counters", "unjob", "clock", "armed", "delivery", "reset", "meta", "seqs", "end"]);

/** Parses one line; throws a short reason when it is not a record this version wrote. */
export function decodeLine(line: string): Loaded {
  const v = JSON.parse(line) as { t?: unknown; row?: unknown; rows?: unknown; ids?: unknown };
  if (v === null || typeof v !== "object" || typeof v.t !== "string" || !KINDS.has(v.t)) throw new Error("not a state record");
  if (v.t === "job") {
    const account = (v as { account?: unknown }).account;
    if (account !== undefined && (account === null || typeof account !== "object")) throw new Error("a job record's account must be an object");
    return { t: "job", job: jobFromRow(v.row), ids: typeof v.ids === "number" ? v.ids : 0, ...(account ? { account: account as Account } : {}) };
  }
  if (v.t === "jobs") {
    if (!Array.isArray(v.rows)) throw new Error("a jobs record needs rows");
    return { t: "jobs", jobs: v.rows.map(jobFromRow) };
  }
  if (v.t === "meta") {
    const m = v as Meta;
    if (m.format !== FORMAT) throw new Error(`not an ${FORMAT} file`);
    if (m.v !== VERSION) throw new Error(`format version ${m.v}; this version of the mock reads version ${VERSION}`);
  }
  return v as Loaded;
}
