import { Context } from '@temporalio/activity';
import type { ThingSpaceClient } from '../thingspace/client.js';
import { deviceState } from '../thingspace/schemas/devices.js';
import { ACTIVATABLE_STATES } from './check-devices.js';
import { scanAccount } from './device-scan.js';
import { activationEvents, HISTORY_LOOKUPS_PER_CALL } from './history-evidence.js';
import type { RecheckDevicesInput, RecheckDevicesResult } from './types.js';

/**
 * Used only by jobs that started before the lost-answer watch (see the `answer-lost-watch` patch in job.ts).
 * After an ambiguous activate failure: which devices did ThingSpace act on? A device counts as submitted when its
 * state left the activatable ones (active, or a pending state) or its history shows an activation since the send.
 * Only devices with no such evidence may be sent again.
 */
export async function recheckDevices(
  client: ThingSpaceClient,
  input: RecheckDevicesInput,
): Promise<RecheckDevicesResult> {
  const found = await scanAccount(client, input.accountName, input.devices);
  const submitted = new Set<number>();
  const unchanged: { index: number; ref: (typeof input.devices)[number] }[] = [];
  input.devices.forEach((ref, index) => {
    const device = found.get(ref.key);
    const state = device ? deviceState(device) : undefined;
    if (state !== undefined && !ACTIVATABLE_STATES.has(state)) submitted.add(index);
    else unchanged.push({ index, ref });
  });
  const events = await activationEvents(
    client,
    unchanged.slice(0, HISTORY_LOOKUPS_PER_CALL).map((u) => u.ref),
    input.submittedAt,
    Context.current().cancellationSignal,
  );
  for (const { index, ref } of unchanged) if (events.has(ref.key)) submitted.add(index);
  return { submitted: [...submitted].sort((a, b) => a - b) };
}
