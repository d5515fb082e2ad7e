import { Context } from '@temporalio/activity';
import type { ThingSpaceClient } from '../thingspace/client.js';
import {
  ThingSpaceAbortError,
  ThingSpaceError,
  ThingSpaceLoginBlockedError,
  ThingSpaceValidationError,
} from '../thingspace/errors.js';
import type { SubmitActivationInput, SubmitActivationResult } from './types.js';

const ACTIVATE = 'activate';
/** A blocked login needs an operator; asking again every few minutes costs nothing and never counts as a login. */
const LOGIN_BLOCKED_RETRY_MS = 5 * 60_000;
/** Codes in ThingSpace's `INPUT_INVALID` family judge the request itself: sending it again cannot help. */
const JUDGMENT_CODE = /\.INPUT_INVALID\./i;

/**
 * What a failed activate call means for the chunk. ThingSpace takes or refuses a request as a whole, so the answer
 * is about every device of it:
 * - nothing was sent (a login or bearer failure, an abort before sending) → `retry`;
 * - the request may have been taken (timeout or connection lost after sending, 500) → `ambiguous`, never resent;
 * - a clear "not now" (429, 502, 503, and 400s whose code is not a known judgment of the input, since the
 *   throttling answer is undocumented and may come as a 400) → `retry`;
 * - a 400 judging the input → `refused`.
 */
export function classifyActivateError(err: ThingSpaceError): SubmitActivationResult {
  const base = { errorMessage: err.message, ...(err.errorCode !== undefined && { errorCode: err.errorCode }) };
  if (err instanceof ThingSpaceLoginBlockedError)
    return { kind: 'retry', retryAfterMs: LOGIN_BLOCKED_RETRY_MS, ...base };
  if (err.operation !== ACTIVATE) return { kind: 'retry', retryAfterMs: err.retryAfterMs, ...base };
  if (err instanceof ThingSpaceValidationError) return { kind: 'refused', ...base };
  if (err.ambiguous) return { kind: 'ambiguous', errorMessage: err.message };
  if (err instanceof ThingSpaceAbortError || err.retryable)
    return { kind: 'retry', retryAfterMs: err.retryAfterMs, ...base };
  if (err.status === 401 || err.status === 403) return { kind: 'retry', retryAfterMs: err.retryAfterMs, ...base };
  if (err.status === 400 && !JUDGMENT_CODE.test(err.errorCode ?? '')) {
    return {
      kind: 'retry',
      retryAfterMs: err.retryAfterMs,
      ...base,
      errorMessage: `${err.message} (possibly a rate limit)`,
    };
  }
  return { kind: 'refused', ...base };
}

/**
 * One `POST /devices/actions/activate`. It never throws for a ThingSpace answer: the workflow decides what to do
 * with each kind of outcome, and runs this activity with a single attempt, because Temporal retrying a POST that
 * may have been accepted (worker crash, timeout) is exactly how devices get activated twice. An activity that
 * fails or times out is treated by the workflow as ambiguous.
 */
export async function submitActivation(
  client: ThingSpaceClient,
  input: SubmitActivationInput,
): Promise<SubmitActivationResult> {
  try {
    const { requestId } = await client.activate(
      { ...input.settings, accountName: input.accountName, devices: input.devices },
      { signal: Context.current().cancellationSignal },
    );
    return { kind: 'accepted', requestId };
  } catch (err) {
    if (!(err instanceof ThingSpaceError)) throw err;
    return classifyActivateError(err);
  }
}
