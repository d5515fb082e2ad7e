import { Context } from '@temporalio/activity';
import type { ThingSpaceClient } from '../thingspace/client.js';
import { deviceState } from '../thingspace/schemas/devices.js';
import { scanAccount } from './device-scan.js';
import { activationEvents, isSuccess } from './history-evidence.js';
import type { PollDevicesInput, PollDevicesResult } from './types.js';

/** Line identifiers a device gains on activation; reported like the ones a callback carries. */
const ASSIGNED_KINDS = new Set(['mdn', 'msisdn', 'imsi', 'min']);

/**
 * The fallback when callbacks did not come: a device whose state is active was activated; one whose history shows
 * a failed activation since the request failed. Anything else is still open.
 */
export async function pollDevices(client: ThingSpaceClient, input: PollDevicesInput): Promise<PollDevicesResult> {
  const found = await scanAccount(client, input.accountName, input.devices);
  const settled: PollDevicesResult['settled'] = [];
  const notActive = [];
  for (const ref of input.devices) {
    const device = found.get(ref.key);
    const state = device ? deviceState(device) : undefined;
    if (device && state === 'active') {
      const carrier = device.carrierInformations?.[0];
      settled.push({
        key: ref.key,
        outcome: 'activated',
        state,
        assignedIds: (device.deviceIds ?? []).filter((id) => ASSIGNED_KINDS.has(id.kind.toLowerCase())),
        ...(typeof device.ipAddress === 'string' && { ipAddress: device.ipAddress }),
        ...(typeof carrier?.servicePlan === 'string' && { servicePlan: carrier.servicePlan }),
      });
    } else {
      notActive.push(ref);
    }
  }
  const events = await activationEvents(client, notActive, input.submittedAt, Context.current().cancellationSignal);
  for (const ref of notActive) {
    const event = events.get(ref.key);
    if (event && !isSuccess(event)) {
      const reason = event.extendedAttributes?.find((a) => a.key.toLowerCase() === 'reason')?.value;
      settled.push({
        key: ref.key,
        outcome: 'failed',
        assignedIds: [],
        reason: `activation ${event.status ?? 'failed'} (from history)${reason ? `: ${String(reason)}` : ''}`,
      });
    }
  }
  return { settled };
}
