import type { ControlPlane } from "../control/plane.js";
import type { DeliveryRecord } from "../domain/deliveries.js";
import type { Tamper } from "../webhooks/dispatcher.js";

export const TAMPERS: readonly Tamper[] = ["signature", "timestamp", "body"];

export interface ProbeOptions {
  /** Resend one known delivery to every receiver seen, once per tamper (default true). */
  webhooks: boolean;
  /** Arm one rate_limited (429, Retry-After: 60) for this key's next submit, to watch how it honours Retry-After. */
  rateLimitKey: string | null;
}

export interface ReceiverProbe {
  url: string;
  /** The delivery that was resent, tampered. */
  delivery_id: string;
  results: { tamper: Tamper; delivery_id: string; outcome: string; response_status: number | null }[];
  /** `rejects forgeries` when no tampered delivery got a 2xx; `accepts forgeries` otherwise (a webhook-unverified finding). */
  verdict: "rejects forgeries" | "accepts forgeries" | "no answer";
}

export interface ProbeReport {
  receivers: ReceiverProbe[];
  /** Receivers named by a job's webhook_url that have no delivery to resend yet (the job has not finished). */
  skipped: { url: string; reason: string }[];
  armed: { scenario: "rate_limited"; key: string; id: string } | null;
}

/**
 * POST /__mock/doctor/probe: active checks, opt-in. For each webhook receiver
 * seen, it resends a known delivery with each tamper through the control
 * plane's redeliver, so every attempt is recorded as usual; the doctor reads
 * their outcomes from the event stream like any other delivery.
 */
export async function runProbe(plane: ControlPlane, o: ProbeOptions): Promise<ProbeReport> {
  const report: ProbeReport = { receivers: [], skipped: [], armed: null };
  if (o.webhooks) {
    const originals = new Map<string, DeliveryRecord>();
    for (const d of await plane.webhooks()) {
      // The newest first delivery per receiver: its job is the most likely to be alive.
      if (d.tamper === null && d.redeliveryOf === null && (originals.get(d.url)?.startedAt ?? -Infinity) <= d.startedAt) originals.set(d.url, d);
    }
    const sent: { probe: ReceiverProbe; tamper: Tamper; id: string }[] = [];
    for (const [url, d] of originals) {
      const probe: ReceiverProbe = { url, delivery_id: d.id, results: [], verdict: "no answer" };
      try {
        for (const tamper of TAMPERS) sent.push({ probe, tamper, id: (await plane.redeliver(d.id, tamper)).id });
        report.receivers.push(probe);
      } catch (e) {
        report.skipped.push({ url, reason: (e as Error).message });
      }
    }
    await plane.webhooksSettled();
    const settled = new Map((await plane.webhooks()).map((d) => [d.id, d]));
    for (const s of sent) {
      const d = settled.get(s.id);
      s.probe.results.push({ tamper: s.tamper, delivery_id: s.id, outcome: d?.outcome ?? "pending", response_status: d?.responseStatus ?? null });
    }
    for (const p of report.receivers) {
      const answered = p.results.filter((r) => r.response_status !== null);
      p.verdict = p.results.some((r) => r.outcome === "delivered") ? "accepts forgeries" : answered.length > 0 ? "rejects forgeries" : "no answer";
    }
    const { jobs } = await plane.listJobs({});
    for (const url of new Set(jobs.map((j) => j.webhook_url))) {
      if (url !== null && !originals.has(url)) report.skipped.push({ url, reason: "no delivery to resend yet: none of its jobs has finished" });
    }
  }
  if (o.rateLimitKey !== null) {
    const armed = await plane.armScenario("rate_limited", o.rateLimitKey, 1);
    report.armed = { scenario: "rate_limited", key: o.rateLimitKey, id: armed.id };
  }
  return report;
}
