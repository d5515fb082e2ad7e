import { Context } from '@temporalio/activity';
import type { ThingSpaceClient } from '../thingspace/client.js';
import { ThingSpaceError } from '../thingspace/errors.js';
import type { SubmitActivationInput, SubmitActivationResult } from './types.js';

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
    if (err.ambiguous) return { kind: 'ambiguous', errorMessage: err.message };
    if (err.retryable) return { kind: 'retry', retryAfterMs: err.retryAfterMs, errorMessage: err.message };
    return { kind: 'refused', errorCode: err.errorCode, errorMessage: err.message };
  }
}
