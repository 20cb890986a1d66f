import type { Job } from "../../domain/jobs.js";

/** Jobs by id, with a per-key index so listing and resetting a key is cheap. */
export class JobIndex {
  #byId = new Map<string, Job>();
  #byKey = new Map<string, Set<string>>();

  get size(): number {
    return this.#byId.size;
  }

  add(job: Job): void {
    this.#byId.set(job.id, job);
    let ids = this.#byKey.get(job.key);
    if (!ids) this.#byKey.set(job.key, (ids = new Set()));
    ids.add(job.id);
  }

  get(id: string): Job | undefined {
    return this.#byId.get(id);
  }

  /** A job only its own key may see; any other key gets the same as an unknown id. */
  getFor(key: string, id: string, now: number): Job | undefined {
    const job = this.#byId.get(id);
    return job && job.key === key && now < job.expiresAt ? job : undefined;
  }

  remove(id: string): Job | undefined {
    const job = this.#byId.get(id);
    if (!job) return undefined;
    this.#byId.delete(id);
    const ids = this.#byKey.get(job.key);
    ids?.delete(id);
    if (ids && ids.size === 0) this.#byKey.delete(job.key);
    return job;
  }

  countFor(key: string): number {
    return this.#byKey.get(key)?.size ?? 0;
  }

  listFor(key: string): Job[] {
    return [...(this.#byKey.get(key) ?? [])].map((id) => this.#byId.get(id)!);
  }

  all(): IterableIterator<Job> {
    return this.#byId.values();
  }

  removeKey(key: string): Job[] {
    return this.listFor(key).map((j) => this.remove(j.id)!);
  }

  clear(): void {
    this.#byId.clear();
    this.#byKey.clear();
  }
}
