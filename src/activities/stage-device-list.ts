/**
 * The first step of a job that names a stored device list: the whole list checked with the job's rules, then either
 * its devices (a list of one part) or the keys of the parts it was cut into (a longer one), each a list of its own
 * in the store under `job-parts/<jobId>/<n>`. A retry writes the same parts again (same keys, same contents).
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  decodeDeviceList,
  DeviceListError,
  encodeDeviceList,
  ipPoolProblem,
  scanDeviceList,
} from '../activation/device-list.js';
import type { JobDevice } from '../activation/job.js';
import { BlobNotFoundError, type BlobStore } from '../storage/blob-store.js';
import { DEVICES_PER_PART, MAX_PARTS, MAX_REQUESTS_PER_JOB, smallestRequestSize } from '../activation/job-limits.js';
import { INVALID_JOB_REQUEST } from './validate-job.js';

export interface StageDeviceListInput {
  jobId: string;
  deviceList: string;
  carrierIpPoolName?: string | undefined;
  partSize: number;
  /** At most this many parts (default MAX_PARTS); a longer list fails the job before anything is checked. */
  maxParts?: number;
}

export interface DeviceListPart {
  deviceList: string;
  devices: number;
}

/** `devices` when the list fits in one part (the job runs it itself), `parts` otherwise. */
export type StagedDeviceList = { total: number; devices: JobDevice[] } | { total: number; parts: DeviceListPart[] };

export const DEVICE_LIST_NOT_FOUND = 'DeviceListNotFound';

const PART_PREFIX = 'job-parts/';

export function partKey(jobId: string, part: number): string {
  return `${PART_PREFIX}${jobId}/${part}`;
}

/**
 * A part its parent job's stage wrote passed every rule then, repeats across the whole list included: its job takes
 * it as it is, instead of checking each of its devices a second time. The IP-pool rule depends on the part job's own
 * activation settings, so it still applies.
 */
async function takePart(
  data: Uint8Array,
  input: StageDeviceListInput,
  what: string,
): Promise<StagedDeviceList | undefined> {
  const devices = (await decodeDeviceList(data)) as JobDevice[];
  // Against the largest part, not this job's part size: a part its parent cut is taken whole, whatever size its
  // parent chose (parents started before part sizes followed maxDevicesPerRequest cut 10,000).
  if (devices.length === 0 || devices.length > DEVICES_PER_PART) return undefined;
  const ipPool = ipPoolProblem(
    devices.some((device) => device.ipAddress !== undefined),
    input,
  );
  if (ipPool) throw ApplicationFailure.nonRetryable(new DeviceListError(what, [ipPool]).message, INVALID_JOB_REQUEST);
  return { total: devices.length, devices };
}

export async function stageDeviceList(store: BlobStore, input: StageDeviceListInput): Promise<StagedDeviceList> {
  const what = `deviceList ${input.deviceList}`;
  let data: Uint8Array;
  try {
    data = await store.get(input.deviceList);
  } catch (err) {
    if (err instanceof BlobNotFoundError) {
      throw ApplicationFailure.nonRetryable(
        `deviceList: no list ${input.deviceList} in the store (${store.description}); upload it first ` +
          '(thingspace-activation devices upload <file>) to the store the workers use (BLOB_STORE_URL)',
        DEVICE_LIST_NOT_FOUND,
      );
    }
    throw err;
  }
  if (input.deviceList.startsWith(PART_PREFIX)) {
    const taken = await takePart(data, input, what);
    if (taken) return taken;
  }
  const maxParts = input.maxParts ?? MAX_PARTS;
  let part: JobDevice[] = [];
  const parts: DeviceListPart[] = [];
  let tooMany = false;
  const flush = async () => {
    // Past the bound nothing more is written: the scan goes on only to count the list for the failure.
    if (parts.length === maxParts) {
      tooMany = true;
      part = [];
      return;
    }
    const key = partKey(input.jobId, parts.length + 1);
    await store.put(key, encodeDeviceList(part));
    parts.push({ deviceList: key, devices: part.length });
    part = [];
  };
  let total: number;
  try {
    total = await scanDeviceList(data, input, what, (device) => {
      if (part.length < input.partSize) {
        part.push(device);
        return;
      }
      return flush().then(() => {
        part.push(device);
      });
    });
  } catch (err) {
    if (err instanceof DeviceListError) throw ApplicationFailure.nonRetryable(err.message, INVALID_JOB_REQUEST);
    throw err;
  }
  // One part: nothing written needs reading back, the job takes the devices as they are.
  if (parts.length === 0) return { total, devices: part };
  if (part.length > 0) await flush();
  if (tooMany) throw tooManyParts(total, input.partSize, maxParts);
  return { total, parts };
}

/**
 * Small requests cut the list into small parts (devicesPerPart): a part sends at most MAX_REQUESTS_PER_JOB requests,
 * and a job runs at most MAX_PARTS parts, so at most MAX_REQUESTS_PER_JOB × MAX_PARTS requests in all.
 */
function tooManyParts(total: number, partSize: number, maxParts: number): ApplicationFailure {
  const parts = Math.ceil(total / partSize);
  const atLeast = smallestRequestSize(total, maxParts * MAX_REQUESTS_PER_JOB);
  return ApplicationFailure.nonRetryable(
    `options.maxDevicesPerRequest must be at least ${atLeast} for this list of ${total} devices: in parts of ` +
      `${partSize} it makes ${parts} parts, and a job runs at most ${maxParts} (each sending at most ` +
      `${MAX_REQUESTS_PER_JOB} activate requests)`,
    INVALID_JOB_REQUEST,
  );
}
