import { expect } from "vitest";
import { mockControl, type ContractClient, type Reply } from "./client.js";
import { record } from "./ledger.js";

const ORDER = { queued: 0, processing: 1, completed: 2, failed: 2 } as const;
type Status = keyof typeof ORDER;

/** Submits a job; the client counts the charge and checks it against the catalog and the ledger. */
export async function submit(api: ContractClient, path: "/tryon" | "/vision" | "/generate", body: unknown, headers?: Record<string, string>): Promise<Reply> {
  return api.post(path, body, { headers });
}

/**
 * Polls poll_url exactly as given, the way the docs recommend (3 s, growing
 * 1.2× up to 10 s), and checks the lifecycle invariants on every answer:
 * states only move forward, and a terminal state is stable over two more polls.
 * On a mock the clock is advanced instead of waiting.
 */
export async function pollToTerminal(api: ContractClient, pollUrl: string): Promise<{ final: Reply; seen: Status[] }> {
  const seen: Status[] = [];
  const started = Date.now();
  let delay = 3000;
  for (;;) {
    const res = await api.call("GET", pollUrl);
    expect(res.status, `poll_url as given (${pollUrl}) answered ${res.status}: ${JSON.stringify(res.body)}`).toBe(200);
    const status = res.body.status as Status;
    const last = seen[seen.length - 1];
    if (last !== undefined) expect(ORDER[status], `state went backwards: ${seen.join(" → ")} → ${status}`).toBeGreaterThanOrEqual(ORDER[last]);
    seen.push(status);
    if (status === "completed" || status === "failed") {
      for (let i = 0; i < 2; i++) {
        const again = await api.call("GET", pollUrl);
        expect(again.body.status, "a terminal state changed on a later poll").toBe(status);
      }
      return { final: res, seen };
    }
    if (Date.now() - started > api.cfg.pollDeadlineMs) throw new Error(`job did not finish within ${api.cfg.pollDeadlineMs} ms (states ${seen.join(" → ")})`);
    // The control API takes whole milliseconds; 3000 × 1.2⁴ is not one.
    if (api.cfg.isMock) await mockControl(api.cfg, "POST", "/clock/advance", { ms: Math.round(delay) });
    else await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 1.2, 10_000);
  }
}

export function noteWebhook(event: string): void {
  record({ type: "webhook", event });
}
