import type { ThingSpaceClient } from '../thingspace/client.js';
import { deviceState, isNbIot } from '../thingspace/schemas/devices.js';
import { scanAccount } from './device-scan.js';
import type { CheckDevicesInput, CheckDevicesResult } from './types.js';

/** States from which ThingSpace activates a device; suspended devices need a restore, pending ones are busy. */
export const ACTIVATABLE_STATES = new Set(['preactive', 'deactive']);

/** Verizon's best practice: check every device's state before activating. */
export async function checkDevices(client: ThingSpaceClient, input: CheckDevicesInput): Promise<CheckDevicesResult> {
  const found = await scanAccount(client, input.accountName, input.devices);
  const result: Required<CheckDevicesResult> = { alreadyActive: [], notInAccount: [], ineligible: [], nbIot: [] };
  input.devices.forEach((ref, index) => {
    const device = found.get(ref.key);
    if (!device) return result.notInAccount.push(index);
    if (isNbIot(device)) result.nbIot.push(index);
    const state = deviceState(device) ?? 'unknown';
    if (state === 'active') result.alreadyActive.push(index);
    else if (!ACTIVATABLE_STATES.has(state)) result.ineligible.push({ index, state });
  });
  return result;
}
