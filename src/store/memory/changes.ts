import type { DeliveryRecord } from "../../domain/deliveries.js";
import type { JobData } from "../../domain/jobs.js";
import type { Armed } from "../../domain/scenarios.js";
import type { Account } from "./accounts.js";

/**
 * A change to durable state, as the file store logs it. Each one says what a
 * thing now is (never by how much it moved), so replaying a change twice, as
 * after a crash between snapshot and log truncation, does no harm.
 */
export type Change =
  | { t: "account"; account: Account }
  | { t: "deleted"; key: string; deleted: boolean }
  /**
   * `ids`: job ids drawn so far, so a restarted seeded store never repeats one.
   * `account`: a submit's charge, in the same record as its job, so a crash
   * keeps or loses both (two lines could be torn apart by a kill).
   */
  | { t: "job"; job: JobData; ids: number; account?: Account }
  | { t: "job-counters"; id: string; statusErrorsLeft: number; notFoundPollsLeft: number }
  | { t: "unjob"; id: string }
  | { t: "clock"; offset: number; frozenAt: number | null }
  | { t: "armed"; list: Armed[] }
  | { t: "delivery"; record: DeliveryRecord }
  | { t: "reset"; key: string | null };
