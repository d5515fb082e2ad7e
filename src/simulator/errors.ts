import type { z } from 'zod';
import { dottedIssuePath } from '../thingspace/schemas/format.js';

/**
 * Error codes the simulator answers with. ThingSpace documents the `Service.CATEGORY.Detail` style and the
 * session-expired code; the others are plausible members of that family, kept in one place so tests and clients
 * can match on them.
 */
export const ErrorCodes = {
  sessionExpired: 'UnifiedWebService.REQUEST_FAILED.SessionToken.Expired',
  sessionInvalid: 'UnifiedWebService.INPUT_INVALID.SessionToken.Invalid',
  loginFailed: 'UnifiedWebService.AUTHENTICATION_FAILED.Login.InvalidCredentials',
  accountLocked: 'UnifiedWebService.AUTHENTICATION_FAILED.Login.AccountLocked',
  accountInvalid: 'UnifiedWebService.INPUT_INVALID.AccountName.Invalid',
  tooManyDevices: 'UnifiedWebService.INPUT_INVALID.Devices.MaxDevicesExceeded',
  /**
   * Default of `rateLimitErrorCode`. Undocumented on purpose: ThingSpace does not say how it refuses the 101st
   * activate request of a minute, so a client must not recognise this code; it only sees an unknown 400.
   */
  rateLimited: 'UnifiedWebService.REQUEST_FAILED.RequestLimit.Exceeded',
  requestNotFound: 'UnifiedWebService.INPUT_INVALID.RequestId.NotFound',
  statusMultiDevice: 'UnifiedWebService.REQUEST_FAILED.RequestStatus.MultipleDevicesNotSupported',
  callbackNotFound: 'UnifiedWebService.INPUT_INVALID.ServiceName.NotFound',
  contentType: 'UnifiedWebService.INPUT_INVALID.ContentType.Invalid',
  malformedBody: 'UnifiedWebService.INPUT_INVALID.Body.Malformed',
  internal: 'UnifiedWebService.REQUEST_FAILED.UnexpectedError',
} as const;

/**
 * The codes an activate call can be refused with that a client may know in advance (ThingSpace documents the
 * session and general codes; the others are what this simulator answers for the documented refusals), plus the
 * `INPUT_INVALID.<Field>.Invalid` family of validation errors. A rate limit answered as 400 must use none of them.
 */
export const DOCUMENTED_ACTIVATE_ERROR_CODES: readonly string[] = [
  ErrorCodes.sessionExpired,
  ErrorCodes.sessionInvalid,
  ErrorCodes.accountInvalid,
  ErrorCodes.tooManyDevices,
  ErrorCodes.contentType,
  ErrorCodes.malformedBody,
  ErrorCodes.internal,
];

/** Thrown by handlers and turned into the exact wire answer by the error handler. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${statusCode}`);
  }
}

export function m2mError(errorCode: string, errorMessage: string, statusCode = 400): ApiError {
  return new ApiError(statusCode, { errorCode, errorMessage });
}

/** The API gateway's answer to a bad bearer: 900901 invalid/expired, 900902 missing. */
export function gatewayFault(code: '900901' | '900902'): ApiError {
  const message = code === '900902' ? 'Missing Credentials' : 'Invalid Credentials';
  const description =
    code === '900902'
      ? 'Required OAuth credentials not provided. Make sure your API invocation call has a header: "Authorization: Bearer ACCESS_TOKEN"'
      : 'Access failure for API: /api, version: v1 status: (900901) - Invalid Credentials. Make sure you have given the correct access token';
  return new ApiError(401, { fault: { code, message, description } });
}

export function oauthError(statusCode: number, error: string, description: string): ApiError {
  return new ApiError(statusCode, { error, error_description: description });
}

export function tooManyRequests(retryAfterSeconds: number): ApiError {
  return new ApiError(429, { message: 'Too Many Requests' }, { 'retry-after': String(retryAfterSeconds) });
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * A schema rejection in ThingSpace style: the code names the offending field
 * (`UnifiedWebService.INPUT_INVALID.MdnZipCode.Invalid`), the message names the full path and the rule.
 */
export function validationError(error: z.ZodError): ApiError {
  const issue = error.issues[0];
  const path = issue?.path ?? [];
  const field = [...path].reverse().find((p): p is string => typeof p === 'string') ?? 'Body';
  const where = path.length > 0 ? dottedIssuePath(path) : 'body';
  const message = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? dottedIssuePath(i.path) : 'body'}: ${i.message}`)
    .join('; ');
  return m2mError(`UnifiedWebService.INPUT_INVALID.${capitalize(field)}.Invalid`, message || `${where} is invalid`);
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw validationError(result.error);
  return result.data;
}
