/** The record of every webhook attempt, kept until its job expires. */
export interface DeliveryRecord {
  id: string;
  jobId: string;
  key: string;
  url: string;
  event: "job.completed" | "job.failed";
  /** Set when this attempt is a control-API redelivery. */
  redeliveryOf: string | null;
  tamper: "signature" | "timestamp" | "body" | null;
  requestHeaders: Record<string, string>;
  requestBody: string;
  startedAt: number;
  /** "refused": the destination policy (--webhook-allow, or the default of a non-loopback bind) stopped it before connecting; `error` says why. */
  outcome: "pending" | "delivered" | "http_error" | "redirect" | "timeout" | "connection_error" | "refused";
  responseStatus: number | null;
  error: string | null;
  durationMs: number | null;
}

export class DeliveryLog {
  #byId = new Map<string, DeliveryRecord>();
  #byJob = new Map<string, string[]>();
  #seq = 0;

  nextId(): string {
    return `dlv_${(++this.#seq).toString().padStart(6, "0")}`;
  }

  add(record: DeliveryRecord): void {
    this.#byId.set(record.id, record);
    const ids = this.#byJob.get(record.jobId);
    if (ids) ids.push(record.id);
    else this.#byJob.set(record.jobId, [record.id]);
  }

  get(id: string): DeliveryRecord | undefined {
    return this.#byId.get(id);
  }

  list(filter: { jobId?: string; key?: string } = {}): DeliveryRecord[] {
    const source = filter.jobId === undefined ? this.#byId.values() : (this.#byJob.get(filter.jobId) ?? []).map((id) => this.#byId.get(id)!);
    return [...source].filter((d) => filter.key === undefined || d.key === filter.key);
  }

  removeJob(jobId: string): void {
    for (const id of this.#byJob.get(jobId) ?? []) this.#byId.delete(id);
    this.#byJob.delete(jobId);
  }

  removeKey(key: string): void {
    for (const d of [...this.#byId.values()]) if (d.key === key) this.removeJob(d.jobId);
  }

  clear(): void {
    this.#byId.clear();
    this.#byJob.clear();
  }

  get size(): number {
    return this.#byId.size;
  }
}
