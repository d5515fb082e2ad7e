import { Context } from '@temporalio/activity';
import { statusOutcome } from '../activation/outcomes.js';
import type { ThingSpaceClient } from '../thingspace/client.js';
import { deviceState } from '../thingspace/schemas/devices.js';
import { ACTIVATABLE_STATES } from './check-devices.js';
import { scanAccount } from './device-scan.js';
import { activationEvents, HISTORY_LOOKUPS_PER_CALL } from './history-evidence.js';
import type { PollDevicesInput, PollDevicesResult } from './types.js';

/** Line identifiers a device gains on activation; reported like the ones a callback carries. */
const ASSIGNED_KINDS = new Set(['mdn', 'msisdn', 'imsi', 'min']);

/**
 * The fallback when callbacks did not come, and the watch over a request whose answer was lost. A device whose
 * state is active was activated; one whose history shows an explicitly failed activation since the request failed.
 * A device in another non-activatable state (a pending state) or with a pending or unknown history status is
 * evidence that ThingSpace took the request, but not an outcome: it stays open.
 */
export async function pollDevices(client: ThingSpaceClient, input: PollDevicesInput): Promise<PollDevicesResult> {
  const found = await scanAccount(client, input.accountName, input.devices);
  const settled: PollDevicesResult['settled'] = [];
  const evidence: string[] = [];
  const wantHistory = input.historyKeys ? new Set(input.historyKeys) : undefined;
  const forHistory = [];
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
      continue;
    }
    if (state !== undefined && !ACTIVATABLE_STATES.has(state)) evidence.push(ref.key);
    if (wantHistory ? wantHistory.has(ref.key) : forHistory.length < HISTORY_LOOKUPS_PER_CALL) forHistory.push(ref);
  }
  const events = await activationEvents(client, forHistory, input.submittedAt, Context.current().cancellationSignal);
  for (const ref of forHistory) {
    const event = events.get(ref.key);
    if (!event) continue;
    const outcome = statusOutcome(event.status);
    if (outcome === 'failure') {
      const reason = event.extendedAttributes?.find((a) => a.key.toLowerCase() === 'reason')?.value;
      settled.push({
        key: ref.key,
        outcome: 'failed',
        assignedIds: [],
        reason: `activation ${event.status ?? 'failed'} (from history)${reason ? `: ${String(reason)}` : ''}`,
      });
    } else if (outcome === 'success') {
      settled.push({
        key: ref.key,
        outcome: 'activated',
        assignedIds: [
          ...(event.mdn ? [{ kind: 'mdn', id: event.mdn }] : []),
          ...(event.msisdn ? [{ kind: 'msisdn', id: event.msisdn }] : []),
        ],
        ...(event.servicePlan && { servicePlan: event.servicePlan }),
      });
    } else if (!evidence.includes(ref.key)) {
      evidence.push(ref.key);
    }
  }
  return { settled, evidence };
}
