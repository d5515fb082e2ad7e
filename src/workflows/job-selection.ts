/**
 * A job's group / custom-field selection, resolved into devices: the resolveSelection activity is called page by
 * page (its cursor in hand) until the selection is exhausted, and the devices it names are added after the listed
 * ones, each device once. Workflow code: deterministic, no zod, the activity passed in by the job.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { JobRequestInput } from '../activation/job.js';
import type { JobSelectionSummary } from '../activation/job-result.js';
import { MAX_DEVICES_PER_JOB, SELECTION_DEVICES_PER_CALL, SELECTION_TOO_LARGE } from '../activation/job-limits.js';
import type { ResolveSelectionInput, ResolveSelectionResult } from '../activities/resolve-selection.js';
import { buildDeviceKeyIndex, deviceKeys, matchDeviceKey } from '../thingspace/schemas/device-key.js';

export type JobDeviceInput = NonNullable<JobRequestInput['devices']>[number];
type Selection = NonNullable<JobRequestInput['selection']>;

/**
 * The job's devices: the listed ones in their order, then the selection's new ones in list order. `summary` is
 * updated after every call, so the progress query shows the resolution advancing.
 */
export async function resolveJobSelection(
  accountName: string,
  selection: Selection,
  listed: readonly JobDeviceInput[],
  resolve: (input: ResolveSelectionInput) => Promise<ResolveSelectionResult>,
  summary: JobSelectionSummary,
): Promise<JobDeviceInput[]> {
  const devices = [...listed];
  // Every identifier of every device so far: a resolved device named by any of them is already in the job (a
  // listed device may name only its ICCID where the list names IMEI and ICCID).
  const known = buildDeviceKeyIndex(listed.map((device) => device.deviceIds));
  let after: string | undefined;
  do {
    const page = await resolve({
      accountName,
      ...(selection.groupName !== undefined && { groupName: selection.groupName }),
      ...(selection.customFields !== undefined && { customFields: selection.customFields }),
      ...(selection.includeNbIot !== undefined && { includeNbIot: selection.includeNbIot }),
      ...(after !== undefined && { after }),
      maxDevices: SELECTION_DEVICES_PER_CALL,
    });
    for (const device of page.devices) {
      summary.resolved++;
      if (matchDeviceKey(known, device.deviceIds) !== undefined) {
        summary.alsoListed++;
        continue;
      }
      for (const key of deviceKeys(device.deviceIds)) known.set(key, key);
      devices.push({ deviceIds: device.deviceIds, ...(device.nbIot && { nbIot: true }) });
    }
    summary.excludedNbIot += page.excludedNbIot;
    summary.listCalls += page.listCalls;
    if (devices.length > MAX_DEVICES_PER_JOB) {
      // Nothing was checked or submitted yet: refusing now costs nothing, and a partial group would surprise.
      throw ApplicationFailure.nonRetryable(
        `selection: the job would hold more than ${MAX_DEVICES_PER_JOB} devices (listed plus selected); ` +
          'narrow the selection with customFields or split it into several jobs',
        SELECTION_TOO_LARGE,
      );
    }
    after = page.nextCursor;
  } while (after !== undefined);
  return devices;
}
