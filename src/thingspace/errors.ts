/**
 * Typed ThingSpace failures. Activities decide from `retryable` and `ambiguous` alone: `retryable` says that sending
 * the same call again is both useful and safe, `ambiguous` that the call may have taken effect although it failed
 * (so an activate must be settled by re-checking device states, never by a blind resend).
 * Messages are built from status, error code and a short redacted excerpt; no got error is kept as `cause`,
 * because got errors carry the request options, headers and credentials included.
 */

export interface ThingSpaceErrorDetails {
  operation: string;
  retryable: boolean;
  ambiguous?: boolean;
  status?: number;
  errorCode?: string;
  retryAfterMs?: number;
  /** A short, redacted piece of the response body, for humans. */
  bodyExcerpt?: string;
}

export class ThingSpaceError extends Error {
  readonly operation: string;
  readonly retryable: boolean;
  readonly ambiguous: boolean;
  readonly status: number | undefined;
  readonly errorCode: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly bodyExcerpt: string | undefined;

  constructor(message: string, details: ThingSpaceErrorDetails) {
    super(message);
    this.name = new.target.name;
    this.operation = details.operation;
    this.retryable = details.retryable;
    this.ambiguous = details.ambiguous ?? false;
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.retryAfterMs = details.retryAfterMs;
    this.bodyExcerpt = details.bodyExcerpt;
  }

  /** Plain data for logs and Temporal failure details. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      operation: this.operation,
      retryable: this.retryable,
      ambiguous: this.ambiguous,
      status: this.status,
      errorCode: this.errorCode,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

/** ThingSpace answered with an error status (the base for every HTTP-level failure). */
export class ThingSpaceHttpError extends ThingSpaceError {}
/** 400 with an M2M `errorCode`, or another 4xx refusal of the request itself. Never retryable as is. */
export class ThingSpaceRequestError extends ThingSpaceHttpError {}
/** Credentials, bearer or session refused even after the one permitted renewal. */
export class ThingSpaceAuthError extends ThingSpaceHttpError {}
/** 429: retry after `retryAfterMs` when the server said how long. */
export class ThingSpaceRateLimitError extends ThingSpaceHttpError {}
/** 5xx. 500 and 504 are ambiguous (the work may be done); 502 and 503 are refusals. */
export class ThingSpaceServerError extends ThingSpaceHttpError {}

/** No usable HTTP answer: connection refused, reset, DNS failure. */
export class ThingSpaceNetworkError extends ThingSpaceError {}
/** The configured or per-call timeout expired. */
export class ThingSpaceTimeoutError extends ThingSpaceError {}
/** The caller's AbortSignal fired; retrying is the caller's decision, so never retryable. */
export class ThingSpaceAbortError extends ThingSpaceError {}
/** A 2xx answer that does not match its schema. */
export class ThingSpaceResponseError extends ThingSpaceError {}
/** Our own input broke a schema rule; nothing was sent. */
export class ThingSpaceValidationError extends ThingSpaceError {}
/**
 * The login guard refuses another session login because the last ones were refused (ThingSpace locks the account
 * after five failed logins in a row), or postpones it while other logins in flight hold the budget. Retryable,
 * after `retryAfterMs` (long while blocked, so activities back off rather than fail). Cleared by resetting the
 * guard (`thingspace-activation login-guard --reset`, `resetLoginGuard()`) or a successful login elsewhere.
 */
export class ThingSpaceLoginBlockedError extends ThingSpaceError {}

/**
 * `Retry-After` as milliseconds from now: delta-seconds or an HTTP date (a date in the past means 0).
 * Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
