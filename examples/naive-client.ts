/**
 * The client most integrations start as: submit, then poll until done, and
 * trust every answer to arrive whole. Against a bad network it loses jobs it
 * paid for (a reset after the charge) and stops at the first garbled answer.
 * Kept as the counter-example to resilient-client.ts.
 */
import type { SubmitRequest } from "./resilient-client.js";

export interface NaiveReport {
  completed: number;
  errors: string[];
}

export async function runNaive(baseUrl: string, apiKey: string, requests: SubmitRequest[], concurrency = 10, pollMs = 3_000): Promise<NaiveReport> {
  const headers = { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" };
  const report: NaiveReport = { completed: 0, errors: [] };
  let next = 0;
  const one = async (req: SubmitRequest) => {
    const job = await (await fetch(baseUrl + req.path, { method: "POST", headers, body: JSON.stringify(req.body) })).json();
    for (;;) {
      const status = await (await fetch(job.poll_url, { headers })).json();
      if (status.status === "completed" || status.status === "failed") return;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
  const worker = async () => {
    while (next < requests.length) {
      const req = requests[next++]!;
      try {
        await one(req);
        report.completed++;
      } catch (e) {
        report.errors.push(`${(e as Error).message}${(e as Error).cause ? ` (${String((e as { cause: unknown }).cause)})` : ""}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return report;
}
