/**
 * The doctor's rules: one table, read by the analysis, GET /__mock/doctor,
 * the CLI's reports (SARIF rules, JUnit test cases) and the README's table.
 * Each rule quotes the sentence of the public docs it comes from.
 */
export type Severity = "error" | "warn";

export interface Rule {
  id: string;
  /** The usual severity; a few findings are milder (a projection, a job still alive). */
  severity: Severity;
  title: string;
  /** The sentence of the ArtEmotion API docs the rule enforces, verbatim (a table row as "cell | cell"). */
  doc: string;
  advice: string;
}

const rule = <I extends string>(id: I, severity: Severity, title: string, doc: string, advice: string) => ({ id, severity, title, doc, advice }) satisfies Rule;

export const RULES = [
  rule("poll-too-fast", "warn", "The same job polled again less than 2 s after the previous poll.",
    'Poll this endpoint every 2–5 seconds until status is "completed" or "failed".',
    "Wait at least 2 s between polls of one job; 3 s growing by ×1.2 up to 10 s is the docs' own loop."),
  rule("poll-budget", "error", "A key's polls exceed 120 in a minute, or its pace over the jobs in flight would.",
    "Status polls per minute | 120 per API key",
    "Poll each job less often, or run fewer jobs at once: the 120 polls a minute are shared by every job of the key."),
  rule("retry-before-retry-after", "error", "A request repeated after a 429 before its Retry-After elapsed.",
    "When you hit a rate limit you'll receive a 429 response with code RATE_LIMIT_EXCEEDED. Wait 60 seconds before retrying.",
    "Read Retry-After on every 429 and do not send that request again before it has elapsed."),
  rule("retry-non-retryable", "error", "The same request repeated unchanged after a 400, 401 or 402.",
    "Errors follow a consistent JSON format: { error: string, code: string }.",
    "Do not retry 400, 401 or 402 as they are: fix the input, the key or the balance first (read `code`)."),
  rule("no-jitter", "warn", "Retries or polls at identical intervals after errors, with no backoff (lock-step).",
    "The recommended approach is to poll every 3 seconds with exponential backoff on errors.",
    "After an error, wait longer than before (e.g. double the delay) and add a little random jitter."),
  rule("double-submit", "error", "The same submit body accepted twice for the same key within 60 s.",
    "Every API call consumes credits from your ArtEmotion account.",
    "Do not resubmit after a client-side timeout: keep the first job_id and poll it; deduplicate submits on your side."),
  rule("own-poll-url", "warn", "A job polled on a URL other than the poll_url its submit returned.",
    "Use the poll_url from the submit response — it already includes the required model_id.",
    "Poll the poll_url exactly as returned: same host and path, model_id as encoded there, nothing reordered."),
  rule("polls-after-terminal", "warn", "A job polled again after the client had already seen completed or failed.",
    'Poll this endpoint every 2–5 seconds until status is "completed" or "failed".',
    "Stop polling a job once it answers completed or failed; keep the answer instead of asking again."),
  rule("abandoned-job", "warn", "A job without webhook_url that was never polled to a terminal state.",
    "Jobs are submitted asynchronously — you submit a try-on request and poll for results.",
    "Poll every job you submit until it is completed or failed (or register a webhook_url)."),
  rule("result-not-downloaded", "error", "A completed image job none of whose result URLs was fetched (warn while alive, error once expired).",
    "Result image URLs expire after 24 hours. Download and store them in your own storage before then.",
    "Download each result image as soon as the job completes and store it yourself; never keep only the URL."),
  rule("webhook-unverified", "error", "The receiver answered 2xx to a tampered delivery (signature, timestamp or body).",
    "HMAC-SHA256 over `${timestamp}.${rawBody}` using your secret as the key, then compare constant-time against the hex portion of X-ArtEmotion-Signature.",
    "Verify X-ArtEmotion-Signature (HMAC-SHA256 of `${timestamp}.${rawBody}`) over the raw bytes and the 5-minute window; answer 4xx otherwise."),
  rule("webhook-only", "error", "A webhook delivery failed or timed out and the job was never polled afterwards.",
    "No retries. If your endpoint is down we don't retry — fall back to polling /jobs/:requestId any time after.",
    "When a webhook may have been missed, poll the job to reconcile; webhooks are sent once, never retried."),
  rule("rejected-input-repeated", "warn", "The same INVALID_REQUEST, IMAGE_ERROR or MISSING_FIELD error answered 3 or more times to a key.",
    "Could not download or process the provided image URL. Check the URL is publicly accessible and points to an image file.",
    "Handle these errors in your client: validate input before sending, and surface the error instead of resending."),
] as const satisfies readonly Rule[];

export type RuleId = (typeof RULES)[number]["id"];
export const RULE_IDS = RULES.map((r) => r.id) as RuleId[];
export const RULE_INDEX = Object.fromEntries(RULES.map((r, i) => [r.id, i])) as Record<RuleId, number>;
export const ruleById = (id: RuleId): Rule => RULES[RULE_INDEX[id]]!;
