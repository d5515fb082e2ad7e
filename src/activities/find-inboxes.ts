import { isGrpcDeadlineError, type Client } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { buildDeviceKeyIndex, matchDeviceKey } from '../thingspace/schemas/device-key.js';
import { inboxQuery, type InboxView } from '../workflows/inbox.js';
import { OPEN_INBOXES_QUERY } from '../workflows/inbox-id.js';
import type { FindInboxesInput, FindInboxesResult } from './types.js';

/** Unclaimed inboxes are few (early callbacks, lost answers, other tools' requests); this bounds a pathological case. */
const MAX_INBOXES = 2_000;

/**
 * A query waits for a worker of the inbox's task queue: one that none serves (its worker gone, or its task failing)
 * would hold the search until the heartbeat timeout (20 s), and every retry would stall on it again. Well below
 * that, so one silent inbox costs a few seconds and the others are still read.
 */
export const INBOX_QUERY_TIMEOUT_MS = 5_000;

/**
 * Finds the ThingSpace requestIds whose unclaimed callbacks name any of `devices`: how a request whose activate
 * answer was lost learns its requestId (the callbacks still arrive, carrying it).
 */
export async function findInboxes(
  temporal: Client,
  input: FindInboxesInput,
  queryTimeoutMs = INBOX_QUERY_TIMEOUT_MS,
): Promise<FindInboxesResult> {
  const index = buildDeviceKeyIndex(input.devices.map((device) => device.deviceIds));
  const requestIds: string[] = [];
  let seen = 0;
  for await (const execution of temporal.workflow.list({ query: OPEN_INBOXES_QUERY })) {
    if (++seen > MAX_INBOXES) break;
    Context.current().heartbeat({ seen });
    let view: InboxView;
    try {
      const handle = temporal.workflow.getHandle(execution.workflowId);
      view = await temporal.withDeadline(Date.now() + queryTimeoutMs, () => handle.query(inboxQuery));
    } catch (err) {
      // Closed since it was listed (nothing to say), or no worker answered in time: a later search asks again.
      if (isGrpcDeadlineError(err)) {
        Context.current().log.warn('an open inbox did not answer its query; skipped this time', {
          workflowId: execution.workflowId,
        });
      }
      continue;
    }
    // A late inbox's request is known (and closed): its callbacks can never be another request's.
    if (view.claimedBy !== undefined || view.lateFor !== undefined) continue;
    if (view.devices.some((ids) => matchDeviceKey(index, ids) !== undefined)) requestIds.push(view.requestId);
  }
  return { requestIds };
}
