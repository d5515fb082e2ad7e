/**
 * The activities, bound to one ThingSpace client per worker process (it holds the only copy of the tokens).
 * Workflows see them only as types: `import type { Activities } from '../activities/index.js'`.
 */
import type { Client } from '@temporalio/client';
import type { BlobStore } from '../storage/blob-store.js';
import type { ThingSpaceClient } from '../thingspace/client.js';
import { checkDevices } from './check-devices.js';
import { findInboxes } from './find-inboxes.js';
import { createClaimActivities } from './device-claims.js';
import { withThingSpaceFailures } from './failures.js';
import { withHeartbeat } from './heartbeat.js';
import { pollDevices } from './poll-devices.js';
import { recheckDevices } from './recheck-devices.js';
import { resolveSelection, type ResolveSelectionInput } from './resolve-selection.js';
import { stageDeviceList, type StageDeviceListInput } from './stage-device-list.js';
import { storeSelection, type StoreSelectionInput } from './store-selection.js';
import { submitActivation } from './submit-activation.js';
import type {
  CheckDevicesInput,
  FindInboxesInput,
  PollDevicesInput,
  RecheckDevicesInput,
  SubmitActivationInput,
} from './types.js';
import { validateJobRequest } from './validate-job.js';

const readOnly = <T>(fn: () => Promise<T>) => withHeartbeat(() => withThingSpaceFailures(fn));

/**
 * `temporal`: a client of the worker's own namespace, for activities that look at other workflows; `store`: where
 * stored device lists and job parts live.
 */
export function createActivities(client: ThingSpaceClient, temporal: Client, store: BlobStore) {
  return {
    stageDeviceList: (input: StageDeviceListInput) => withHeartbeat(() => stageDeviceList(store, input)),
    findInboxes: (input: FindInboxesInput) => withHeartbeat(() => findInboxes(temporal, input)),
    validateJobRequest,
    checkDevices: (input: CheckDevicesInput) => readOnly(() => checkDevices(client, input)),
    recheckDevices: (input: RecheckDevicesInput) => readOnly(() => recheckDevices(client, input)),
    pollDevices: (input: PollDevicesInput) => readOnly(() => pollDevices(client, input)),
    resolveSelection: (input: ResolveSelectionInput) => readOnly(() => resolveSelection(client, input)),
    // Reads ThingSpace, writes only the store: retried like the reads.
    storeSelection: (input: StoreSelectionInput) => readOnly(() => storeSelection(client, store, input)),
  };
}

/** Runs on the rate-limited task queue (see worker.ts), apart from the other activities. */
export function createSubmitActivities(client: ThingSpaceClient) {
  return { submitActivation: (input: SubmitActivationInput) => withHeartbeat(() => submitActivation(client, input)) };
}

export { createClaimActivities };

/** The main task queue's activities: the ThingSpace reads plus the device claims (which need a Temporal client). */
export type Activities = ReturnType<typeof createActivities> & ReturnType<typeof createClaimActivities>;
export type SubmitActivities = ReturnType<typeof createSubmitActivities>;
