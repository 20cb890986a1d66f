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
  outcome: DeliveryOutcome;
  responseStatus: number | null;
  error: string | null;
  durationMs: number | null;
  /** The process that sent it. */
  replica: string;
  /** The webhook fault this attempt was sent under (webhook_delay, webhook_timeout, webhook_duplicate). */
  fault?: string | null;
}

/**
 * `abandoned`: the replica that claimed the delivery died before it settled;
 * it is never retried (the docs promise one attempt). `refused`: the
 * destination policy forbade the address.
 */
export const DELIVERY_OUTCOMES = ["pending", "delivered", "http_error", "redirect", "timeout", "connection_error", "abandoned", "refused"] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** A delivery before the store gives it an id. */
export type NewDelivery = Omit<DeliveryRecord, "id">;

export type DeliverySettlement = Pick<DeliveryRecord, "outcome" | "responseStatus" | "error" | "durationMs">;

/** Whether the attempt carried a signature header (the dashboard shows it). */
export const isSigned = (d: Pick<DeliveryRecord, "requestHeaders">) => "X-ArtEmotion-Signature" in d.requestHeaders;
