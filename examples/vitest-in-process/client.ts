/**
 * A small ArtEmotion client, as an app would write one. It only knows the API's
 * base URL, a key and how to wait: tests hand it a wait that moves the mock's
 * virtual clock, so a 30-second try-on is polled to its end in milliseconds.
 * The types come from artemotion-mock/api (type-only: nothing of the mock ships).
 */
import type {
  ErrorResponse, JobCompletedResponse, JobStatusResponse, SubmitResponse, SubmitTryonRequest, SubmitVisionRequest,
} from "artemotion-mock/api";

export interface ClientOptions {
  /** e.g. https://app.artemotion.ai/api/v1, or a mock's baseUrl. */
  baseUrl: string;
  apiKey: string;
  /** Waits between polls. Default: real time (setTimeout). */
  wait?: (ms: number) => Promise<void>;
}

/** A documented `{ error, code }` answer, with its HTTP status. */
export class ArtEmotionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`[${code}] ${message}`);
  }
}

export function createClient({ baseUrl, apiKey, wait = (ms) => new Promise((r) => setTimeout(r, ms)) }: ClientOptions) {
  async function call<T>(method: "GET" | "POST", url: string, body?: unknown): Promise<T> {
    const res = await fetch(url.startsWith("http") ? url : `${baseUrl}${url}`, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as unknown;
    if (!res.ok) {
      const err = json as ErrorResponse;
      throw new ArtEmotionError(res.status, err.code, err.error);
    }
    return json as T;
  }

  return {
    tryon: (body: SubmitTryonRequest) => call<SubmitResponse>("POST", "/tryon", body),
    vision: (body: SubmitVisionRequest) => call<SubmitResponse>("POST", "/vision", body),

    /** Polls poll_url as the docs recommend (every 3 s, growing 1.2× to at most 10 s) until the job ends. */
    async result(pollUrl: string): Promise<JobCompletedResponse> {
      for (let delay = 3000; ; delay = Math.min(Math.round(delay * 1.2), 10_000)) {
        const job = await call<JobStatusResponse>("GET", pollUrl);
        if (job.status === "completed") return job;
        if (job.status === "failed") throw new Error(`Job ${job.job_id} failed: ${job.error ?? job.logs[0] ?? "unknown"}`);
        await wait(delay);
      }
    },
  };
}
