/**
 * Finds the job's devices in the account's device list. ThingSpace has no "look up these 10,000 devices" call, so
 * we page through `devices/actions/list` once and keep the devices we are looking for, heartbeating per page so a
 * stuck scan is noticed and a cancelled one stops.
 */
import { Context } from '@temporalio/activity';
import type { ThingSpaceClient } from '../thingspace/client.js';
import type { Device } from '../thingspace/schemas/devices.js';
import { buildDeviceKeyIndex, matchDeviceKey } from '../thingspace/schemas/device-key.js';
import type { DeviceRef } from './types.js';

export async function scanAccount(
  client: ThingSpaceClient,
  accountName: string,
  devices: readonly DeviceRef[],
): Promise<Map<string, Device>> {
  const index = buildDeviceKeyIndex(devices.map((device) => device.deviceIds));
  const found = new Map<string, Device>();
  const context = Context.current();
  let pages = 0;
  for await (const page of client.listDevicesPages({ accountName }, { signal: context.cancellationSignal })) {
    for (const device of page.devices) {
      const key = matchDeviceKey(index, device.deviceIds ?? []);
      if (key !== undefined) found.set(key, device);
    }
    context.heartbeat({ pages: ++pages, found: found.size });
    if (found.size === devices.length) break;
  }
  return found;
}
