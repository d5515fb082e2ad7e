import type { z } from 'zod';
import {
  parseRetryAfter,
  ThingSpaceAuthError,
  ThingSpaceRateLimitError,
  ThingSpaceRequestError,
  ThingSpaceResponseError,
  ThingSpaceServerError,
  type ThingSpaceError,
  type ThingSpaceErrorDetails,
} from './errors.js';
import type { HttpRequest, HttpResponse } from './http.js';
import type { Redactor } from './redact.js';
import { classifyErrorBody } from './schemas/error-bodies.js';
import { formatZodError } from './schemas/format.js';

/** Codes that mean "log in again", compared case-insensitively. */
export const SESSION_ERROR_CODES = [
  'UnifiedWebService.REQUEST_FAILED.SessionToken.Expired',
  'UnifiedWebService.INPUT_INVALID.SessionToken.Invalid',
];
const SESSION_ERROR_CODES_LOWER = new Set(SESSION_ERROR_CODES.map((c) => c.toLowerCase()));

/** Gateway fault for an invalid or expired bearer. */
export const BEARER_FAULT_CODE = '900901';

export function isSessionError(res: HttpResponse): boolean {
  const body = classifyErrorBody(res.json);
  return res.status >= 400 && body.kind === 'm2m' && SESSION_ERROR_CODES_LOWER.has(body.errorCode.toLowerCase());
}

export function isBearerFault(res: HttpResponse): boolean {
  const body = classifyErrorBody(res.json);
  return res.status === 401 && body.kind === 'fault' && body.errorCode === BEARER_FAULT_CODE;
}

/**
 * Maps a non-2xx response onto the error taxonomy. Ambiguous: 500, 504 and unknown 5xx (the server may have done
 * the work); clear refusals: 4xx, 502, 503.
 */
export function errorFromResponse(req: HttpRequest, res: HttpResponse, redactor: Redactor): ThingSpaceError {
  const body = classifyErrorBody(res.json);
  const parts = [`${req.operation} failed: HTTP ${res.status}`];
  if (body.errorCode) parts.push(body.errorCode);
  let detail = body.message ? `: ${body.message}` : '';
  const excerpt = res.text.trim() === '' ? undefined : redactor.excerpt(res.text);
  if (res.json === undefined) detail = excerpt ? ` (non-JSON body: ${excerpt})` : ' (empty body)';
  const message = redactor.redact(parts.join(' ') + detail);
  const details: ThingSpaceErrorDetails = {
    operation: req.operation,
    retryable: false,
    status: res.status,
    ...(body.errorCode !== undefined ? { errorCode: body.errorCode } : {}),
    ...(excerpt !== undefined ? { bodyExcerpt: excerpt } : {}),
  };
  const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
  if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;

  if (res.status === 429) return new ThingSpaceRateLimitError(message, { ...details, retryable: true });
  if (res.status === 502 || res.status === 503)
    return new ThingSpaceServerError(message, { ...details, retryable: true });
  if (res.status >= 500) {
    return new ThingSpaceServerError(message, { ...details, ambiguous: true, retryable: req.idempotent });
  }
  if (res.status === 408) return new ThingSpaceRequestError(message, { ...details, retryable: true });
  if (res.status === 401 || res.status === 403 || body.kind === 'oauth')
    return new ThingSpaceAuthError(message, details);
  return new ThingSpaceRequestError(message, details);
}

/**
 * Validates a 2xx body. A mismatch after a 2xx means the server did act on the request, hence ambiguous; the
 * message names the schema paths and rules, never the values.
 */
export function parseSuccess<S extends z.ZodType>(
  req: HttpRequest,
  res: HttpResponse,
  schema: S,
  redactor: Redactor,
): z.output<S> {
  const details = { operation: req.operation, status: res.status, ambiguous: true, retryable: req.idempotent };
  if (res.json === undefined) {
    const excerpt = res.text.trim() === '' ? 'empty body' : `non-JSON body: ${redactor.excerpt(res.text)}`;
    throw new ThingSpaceResponseError(`${req.operation}: HTTP ${res.status} with ${excerpt}`, details);
  }
  const result = schema.safeParse(res.json);
  if (!result.success) {
    throw new ThingSpaceResponseError(
      redactor.redact(`${req.operation}: unexpected response: ${formatZodError(result.error)}`),
      details,
    );
  }
  return result.data;
}
