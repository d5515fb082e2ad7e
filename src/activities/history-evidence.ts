import type { ThingSpaceClient } from '../thingspace/client.js';
import type { ProvisioningHistoryEntry } from '../thingspace/schemas/history.js';
import { forEachBounded } from './bounded.js';
import type { DeviceRef } from './types.js';

/**
 * History is one call per device, so callers look up a bounded number of devices per activity and go round the
 * rest on later polls; the device list covers every device on every poll.
 */
export const HISTORY_LOOKUPS_PER_CALL = 200;
const CONCURRENCY = 4;

/** The latest Activate event since `since` for each device (devices without one are absent). */
export async function activationEvents(
  client: ThingSpaceClient,
  devices: readonly DeviceRef[],
  since: string,
  signal: AbortSignal,
): Promise<Map<string, ProvisioningHistoryEntry>> {
  const events = new Map<string, ProvisioningHistoryEntry>();
  const latest = new Date().toISOString();
  await forEachBounded(devices, CONCURRENCY, async (ref) => {
    const deviceId = ref.deviceIds[0];
    if (!deviceId) return;
    const { provisioningHistory } = await client.history({ deviceId, earliest: since, latest }, { signal });
    const activations = provisioningHistory.filter((e) => e.eventType?.toLowerCase() === 'activate');
    const last = activations.at(-1);
    if (last) events.set(ref.key, last);
  });
  return events;
}
