import type { KeyState } from "./state.js";

/** An event id kept per job: a number when it is one (the memory bus counts), else the string (a Redis stream id). */
export type CompactId = string | number | null;
export function compactId(id: string): CompactId {
  const n = +id;
  return n === n && n < 2 ** 30 ? n : id;
}
export const idText = (id: CompactId): string | null => (id === null ? null : String(id));

/** Where a doctor's compact times count from: its wall and virtual clocks when it started. */
export interface Epoch {
  wall: number;
  virtual: number;
}

const NONE = -(2 ** 30);
/** An offset as a small integer when it is one: arithmetic on doubles yields a boxed number even when the result is whole. */
export const small = (v: number) => ((v | 0) === v ? v | 0 : v);
const F_IMAGE = 1, F_IN_FLIGHT = 2, F_DOWNLOADED = 4, F_DELIVERED = 8, F_RECONCILED = 16, F_COMPLETED = 32, F_WEBHOOK = 64,
  F_POLL_ERROR = 128, F_POLL_429 = 256;

/**
 * One job as the doctor follows it. At 100,000 live jobs its size matters, so
 * the yes/no facts share one small integer and the times are kept as offsets
 * from the doctor's epoch (small integers, where absolute ms would each be a
 * boxed double); the accessors give absolute ms, -1 when unset (NaN for an
 * unknown timeline). The rare facts of a failed delivery live apart.
 */
export class JobTrack {
  #flags: number;
  #createdAt: number;
  #lastPoll = NONE;
  #seenTerminal = NONE;
  #finished = NONE;
  #expires = NONE;
  #delivery: { failed: number; outcome: string; id: string } | null = null;
  /** Host header of the submit: the host of the poll_url it got back. */
  host: string | null = null;
  /** Journal ids cited as evidence: the submit, the last poll, the poll that saw the end (see compactId). */
  submitId: CompactId = null;
  lastPollId: CompactId = null;
  terminalPollId: CompactId = null;
  /** Gap between the last two polls that followed a good answer; the client's cadence for this job. */
  cadence = 0;
  /** Gap of the last retry after an error. */
  retryGap = 0;

  constructor(
    readonly id: string,
    readonly ks: KeyState,
    readonly modelId: string,
    /** `model_id=…` as the poll_url carries it (one string per model, shared). */
    readonly pollQuery: string,
    image: boolean,
    readonly credits: number,
    createdWall: number,
    readonly epoch: Epoch,
  ) {
    this.#flags = image ? F_IMAGE : 0;
    this.#createdAt = small(createdWall - epoch.wall);
  }

  #flag(bit: number): boolean {
    return (this.#flags & bit) !== 0;
  }

  #set(bit: number, on: boolean): void {
    this.#flags = on ? this.#flags | bit : this.#flags & ~bit;
  }

  #wall(v: number): number {
    return v === NONE ? -1 : v + this.epoch.wall;
  }

  /** Try-on and generate jobs: their results are image URLs to download. */
  get image() { return this.#flag(F_IMAGE); }
  get inFlight() { return this.#flag(F_IN_FLIGHT); }
  set inFlight(v: boolean) { this.#set(F_IN_FLIGHT, v); }
  get downloaded() { return this.#flag(F_DOWNLOADED); }
  set downloaded(v: boolean) { this.#set(F_DOWNLOADED, v); }
  get delivered() { return this.#flag(F_DELIVERED); }
  set delivered(v: boolean) { this.#set(F_DELIVERED, v); }
  get reconciled() { return this.#flag(F_RECONCILED); }
  set reconciled(v: boolean) { this.#set(F_RECONCILED, v); }
  get completed() { return this.#flag(F_COMPLETED); }
  set completed(v: boolean) { this.#set(F_COMPLETED, v); }
  get webhook() { return this.#flag(F_WEBHOOK); }
  set webhook(v: boolean) { this.#set(F_WEBHOOK, v); }
  get lastPollError() { return this.#flag(F_POLL_ERROR); }
  set lastPollError(v: boolean) { this.#set(F_POLL_ERROR, v); }
  get lastPollRateLimited() { return this.#flag(F_POLL_429); }
  set lastPollRateLimited(v: boolean) { this.#set(F_POLL_429, v); }

  get createdWall() { return this.#createdAt + this.epoch.wall; }
  /** Wall time of the last poll; -1 before the first. */
  get lastPoll() { return this.#wall(this.#lastPoll); }
  set lastPoll(ms: number) { this.#lastPoll = small(ms - this.epoch.wall); }
  /** Wall time the client first saw completed or failed; -1 until then. */
  get seenTerminal() { return this.#wall(this.#seenTerminal); }
  set seenTerminal(ms: number) { this.#seenTerminal = small(ms - this.epoch.wall); }
  /** Virtual times of the job's end and expiry; NaN until the job event told them. */
  get finishedMs() { return this.#finished === NONE ? Number.NaN : this.#finished + this.epoch.virtual; }
  set finishedMs(ms: number) { this.#finished = small(ms - this.epoch.virtual); }
  get expiresMs() { return this.#expires === NONE ? Number.NaN : this.#expires + this.epoch.virtual; }
  set expiresMs(ms: number) { this.#expires = small(ms - this.epoch.virtual); }

  /** Wall time its first webhook delivery failed; -1 when it did not. */
  get deliveryFailed() { return this.#delivery?.failed ?? -1; }
  get deliveryOutcome() { return this.#delivery?.outcome ?? null; }
  get deliveryId() { return this.#delivery?.id ?? null; }
  deliveryFailedAt(wall: number, outcome: string, id: string): void {
    this.#delivery = { failed: wall, outcome, id };
  }
}
