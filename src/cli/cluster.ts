import cluster, { type Worker } from "node:cluster";
import type { MockOptions } from "../options.js";

export const READY_MESSAGE = "artemotion-mock:ready";
/** A worker that dies this soon after starting is not restarted again (a crash loop). */
const MIN_UPTIME_MS = 5_000;
const STOP_GRACE_MS = 2_500;

type Out = { log: (s: string) => void; err: (s: string) => void };

/**
 * --workers N: the primary forks N workers (node:cluster); each is a full
 * server on the shared Redis store, and they share the port. The primary
 * prints the ready line once every worker is listening, forwards SIGTERM and
 * SIGINT, and replaces a worker that dies while serving. If a worker cannot
 * start (Redis unreachable, port taken), the primary stops the others and
 * exits 2; the worker has said why on stderr.
 */
export function runPrimary(options: Readonly<MockOptions>, out: Out): Promise<number> {
  const n = options.workers;
  const started = new Map<Worker, number>();
  let readyLine: string | null = null;
  let ready = 0;
  let stopping = false;

  return new Promise<number>((resolve) => {
    const stopAll = (code: number) => {
      if (stopping) return;
      stopping = true;
      const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
      for (const w of live) w.process.kill("SIGTERM");
      const force = setTimeout(() => {
        for (const w of live) if (!w.isDead()) w.process.kill("SIGKILL");
        resolve(code);
      }, STOP_GRACE_MS);
      force.unref();
      void Promise.all(live.map((w) => new Promise((r) => (w.isDead() ? r(null) : w.once("exit", r))))).then(() => {
        clearTimeout(force);
        resolve(code);
      });
    };

    const fork = () => {
      const w = cluster.fork();
      started.set(w, Date.now());
      w.on("message", (m: { type?: string; line?: string }) => {
        if (m?.type !== READY_MESSAGE || stopping) return;
        if (readyLine === null) readyLine = m.line ?? "";
        if (++ready === n) out.log(readyLine.replace(/\)$/, `, workers ${n})`));
      });
      w.once("exit", (code, signal) => {
        const uptime = Date.now() - (started.get(w) ?? 0);
        started.delete(w);
        if (stopping) return;
        if (ready < n) {
          out.err(`artemotion-mock: a worker exited (${signal ?? `code ${code}`}) before all ${n} were ready; stopping.`);
          return stopAll(2);
        }
        if (uptime < MIN_UPTIME_MS) {
          out.err(`artemotion-mock: worker ${w.process.pid} exited (${signal ?? `code ${code}`}) ${uptime} ms after it started; not restarting it.`);
          return;
        }
        out.err(`artemotion-mock: worker ${w.process.pid} exited (${signal ?? `code ${code}`}); starting another.`);
        fork();
      });
    };

    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.once(signal, () => {
        out.log(`artemotion-mock: ${signal}, shutting down ${n} workers`);
        stopAll(0);
      });
    }
    for (let i = 0; i < n; i++) fork();
  });
}
