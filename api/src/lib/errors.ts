/**
 * Every failure the domain reports is an AppError with a code from this table. Routes
 * map the code to an HTTP status, the hub to a socket ack; nothing else decides.
 */
export const errorCodes = {
  bad_request: { status: 400, reportable: false },
  validation_failed: { status: 400, reportable: false },
  unauthenticated: { status: 401, reportable: false },
  mfa_required: { status: 401, reportable: false },
  forbidden: { status: 403, reportable: false },
  not_found: { status: 404, reportable: false },
  conflict: { status: 409, reportable: false },
  invalid_transition: { status: 409, reportable: false },
  payload_too_large: { status: 413, reportable: false },
  headers_too_large: { status: 431, reportable: false },
  unsupported_media_type: { status: 415, reportable: false },
  rate_limited: { status: 429, reportable: false },
  internal: { status: 500, reportable: true },
  unavailable: { status: 503, reportable: true },
} as const satisfies Record<string, { status: number; reportable: boolean }>;

/** A machine-readable error code. */
export type ErrorCode = keyof typeof errorCodes;

/** A domain or boundary failure. Services throw these; they never throw HTTP errors. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }

  /** HTTP status for this code. */
  get status(): number {
    return errorCodes[this.code].status;
  }

  /** Whether this should be logged as an error and alerted on (bugs, outages), not user mistakes. */
  get isReportable(): boolean {
    return errorCodes[this.code].reportable;
  }
}

/** The JSON body of every error response: `{ error: { code, message, details, request_id } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown; request_id: string };
}

/** Builds the error body. */
export function errorBody(code: ErrorCode, message: string, requestId: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }), request_id: requestId } };
}
