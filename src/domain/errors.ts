/**
 * The one table of error codes. openapi.yaml's ErrorCode enum and the README's
 * error table are checked against it by test/error-table.test.ts.
 */
export const ERRORS = {
  INVALID_REQUEST: { status: 400, message: "Invalid request." },
  INVALID_MODEL: { status: 400, message: "Unknown model_id." },
  MISSING_FIELD: { status: 400, message: "A field required by this model is missing." },
  IMAGE_ERROR: { status: 400, message: "Image error." },
  UNAUTHORIZED: { status: 401, message: "Invalid API key" },
  INSUFFICIENT_CREDITS: { status: 402, message: "Insufficient credits." },
  FORBIDDEN: { status: 403, message: "Forbidden.", mockOnly: true },
  NOT_FOUND: { status: 404, message: "Not found." },
  METHOD_NOT_ALLOWED: { status: 405, message: "Method not allowed." },
  PAYLOAD_TOO_LARGE: { status: 413, message: "Request body too large." },
  RATE_LIMIT_EXCEEDED: { status: 429, message: "Rate limit exceeded." },
  INTERNAL_ERROR: { status: 500, message: "Internal mock error." },
  SUBMISSION_ERROR: { status: 502, message: "Failed to submit job: upstream timeout" },
  STATUS_ERROR: { status: 502, message: "Failed to get job status: upstream unreachable" },
  STORE_UNAVAILABLE: { status: 503, message: "The mock's shared store is unreachable; retry shortly.", mockOnly: true },
} as const satisfies Record<string, { status: number; message: string; mockOnly?: true }>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/**
 * Codes the live API never sends: the mock's own surfaces (/__mock, the
 * dashboard, /docs) answer with them, or the mock itself when its shared
 * store (Redis) is down.
 */
export const MOCK_ONLY_CODES = ERROR_CODES.filter((c) => "mockOnly" in ERRORS[c]);

/** The single error class: handlers throw it, one middleware writes `{ error, code }`. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The fault that made this answer (a hidden job's 404), for the journal and the X-Mock-Fault header. */
  fault: string | null = null;

  constructor(code: ErrorCode, message?: string, headers: Record<string, string> = {}) {
    super(message ?? ERRORS[code].message);
    this.name = "ApiError";
    this.code = code;
    this.status = ERRORS[code].status;
    this.headers = headers;
  }

  toBody(): { error: string; code: ErrorCode } {
    return { error: this.message, code: this.code };
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}
