import type { DeliveryRecord, DeliverySettlement, NewDelivery } from "../../domain/deliveries.js";

/** Every webhook attempt, kept until its job expires. */
export class DeliveryLog {
  #byId = new Map<string, DeliveryRecord>();
  #byJob = new Map<string, string[]>();
  #seq = 0;

  add(fields: NewDelivery): DeliveryRecord {
    const record: DeliveryRecord = { id: `dlv_${(++this.#seq).toString().padStart(6, "0")}`, ...fields };
    this.put(record);
    return record;
  }

  /** Inserts or replaces a record as it is (a restart from a state file). */
  put(record: DeliveryRecord): void {
    if (!this.#byId.has(record.id)) {
      const ids = this.#byJob.get(record.jobId);
      if (ids) ids.push(record.id);
      else this.#byJob.set(record.jobId, [record.id]);
      const n = Number(record.id.replace(/^dlv_/, ""));
      if (n > this.#seq) this.#seq = n;
    }
    this.#byId.set(record.id, record);
  }

  settle(id: string, s: DeliverySettlement): DeliveryRecord | undefined {
    const record = this.#byId.get(id);
    if (record && record.outcome === "pending") Object.assign(record, s);
    return record;
  }

  get(id: string): DeliveryRecord | undefined {
    return this.#byId.get(id);
  }

  list(filter: { jobId?: string; key?: string } = {}): DeliveryRecord[] {
    const source = filter.jobId === undefined ? this.#byId.values() : (this.#byJob.get(filter.jobId) ?? []).map((id) => this.#byId.get(id)!);
    return [...source].filter((d) => filter.key === undefined || d.key === filter.key);
  }

  hasJob(jobId: string): boolean {
    return this.#byJob.has(jobId);
  }

  /** The last sequence number handed out; ids never repeat, even after their records expire. */
  get lastSeq(): number {
    return this.#seq;
  }

  raiseSeq(n: number): void {
    if (n > this.#seq) this.#seq = n;
  }

  removeJob(jobId: string): void {
    for (const id of this.#byJob.get(jobId) ?? []) this.#byId.delete(id);
    this.#byJob.delete(jobId);
  }

  clear(): void {
    this.#byId.clear();
    this.#byJob.clear();
  }

  get size(): number {
    return this.#byId.size;
  }
}
