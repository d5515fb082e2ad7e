import type { Client } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { buildDeviceKeyIndex, matchDeviceKey } from '../thingspace/schemas/device-key.js';
import { inboxQuery, type InboxView } from '../workflows/inbox.js';
import { OPEN_INBOXES_QUERY } from '../workflows/inbox-id.js';
import type { FindInboxesInput, FindInboxesResult } from './types.js';

/** Unclaimed inboxes are few (early callbacks, lost answers, other tools' requests); this bounds a pathological case. */
const MAX_INBOXES = 2_000;

/**
 * Finds the ThingSpace requestIds whose unclaimed callbacks name any of `devices`: how a request whose activate
 * answer was lost learns its requestId (the callbacks still arrive, carrying it).
 */
export async function findInboxes(temporal: Client, input: FindInboxesInput): Promise<FindInboxesResult> {
  const index = buildDeviceKeyIndex(input.devices.map((device) => device.deviceIds));
  const requestIds: string[] = [];
  let seen = 0;
  for await (const execution of temporal.workflow.list({ query: OPEN_INBOXES_QUERY })) {
    if (++seen > MAX_INBOXES) break;
    Context.current().heartbeat({ seen });
    let view: InboxView;
    try {
      view = await temporal.workflow.getHandle(execution.workflowId).query(inboxQuery);
    } catch {
      continue; // closed since it was listed
    }
    // A late inbox's request is known (and closed): its callbacks can never be another request's.
    if (view.claimedBy !== undefined || view.lateFor !== undefined) continue;
    if (view.devices.some((ids) => matchDeviceKey(index, ids) !== undefined)) requestIds.push(view.requestId);
  }
  return { requestIds };
}
