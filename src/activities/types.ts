/** Inputs and outputs of the activities, shared with the workflows through `import type`. */
import type { ActivationSettings } from '../activation/job.js';
import type { DeviceReport } from '../activation/model.js';
import type { DeviceId } from '../thingspace/schemas/device-key.js';

/** A device by its canonical key (`deviceKey(deviceIds)`) and every identifier the caller gave. */
export interface DeviceRef {
  key: string;
  deviceIds: DeviceId[];
}

export interface CheckDevicesInput {
  accountName: string;
  devices: DeviceRef[];
}

/** Indexes into the input's devices; every index not listed is ready. Indexes keep the result small. */
export interface CheckDevicesResult {
  alreadyActive: number[];
  notInAccount: number[];
  ineligible: { index: number; state: string }[];
  /**
   * Devices ThingSpace lists as NB-IoT (its `DeviceType`), whether or not the job said so: their requests then
   * wait for their NiddService callback too. Absent from results recorded before it existed.
   */
  nbIot?: number[];
}

export interface SubmitActivationInput {
  accountName: string;
  /** The activate body minus devices and accountName (validated with the job). */
  settings: ActivationSettings;
  devices: { deviceIds: DeviceId[]; ipAddress?: string | undefined }[];
}

/**
 * `accepted`: ThingSpace took the request. `refused`: it said no for good (400 and the like); no device of it was
 * submitted. `retry`: it said "not now" (429, 502, 503, connection refused), nothing was submitted.
 * `ambiguous`: the request may or may not have been accepted; never resend before re-checking device states.
 */
export type SubmitActivationResult =
  | { kind: 'accepted'; requestId: string }
  | { kind: 'refused'; errorCode?: string | undefined; errorMessage: string }
  | {
      kind: 'retry';
      retryAfterMs?: number | undefined;
      errorCode?: string | undefined;
      errorMessage: string;
      /** The activate request never left (a login, bearer or guard failure): retried for as long as it takes. */
      notSent?: boolean;
    }
  | { kind: 'ambiguous'; errorMessage: string };

export interface RecheckDevicesInput {
  accountName: string;
  devices: DeviceRef[];
  /** When the ambiguous request was sent (ISO 8601): history after it is evidence of acceptance. */
  submittedAt: string;
}

/** Indexes of the devices that show ThingSpace acted on them (state changed, or activation history). */
export interface RecheckDevicesResult {
  submitted: number[];
}

export interface PollDevicesInput {
  accountName: string;
  devices: DeviceRef[];
  /** Which of `devices` get a (one call per device) history look-up this time; default: the first 200. */
  historyKeys?: string[];
  submittedAt: string;
}

/** Devices whose outcome the poll could establish; the others are still open. */
export interface PollDevicesResult {
  settled: (Omit<DeviceReport, 'deviceIds' | 'source'> & { key: string })[];
  /** Open devices that show ThingSpace acted on them (a pending state, a non-final history entry). */
  evidence?: string[];
}

export interface FindInboxesInput {
  devices: DeviceRef[];
}

/** ThingSpace requestIds whose unclaimed callbacks name at least one of the devices. */
export interface FindInboxesResult {
  requestIds: string[];
}

/** Claim devices for a job in its account's coordinator (`accountDevices`) before submitting them. */
export interface ClaimDevicesInput {
  accountName: string;
  jobId: string;
  /** Canonical device keys (`deviceKey(deviceIds)`), any number: the activity sends them 5,000 at a time. */
  keys: string[];
  /** Epoch ms when the claim lapses by itself; claiming again with a later value extends it. */
  until: number;
}

/** The keys another job holds (index into the input's keys, and that job); every key not listed is the caller's. */
export interface ClaimDevicesResult {
  taken: { index: number; jobId: string }[];
}

export interface ReleaseDevicesInput {
  accountName: string;
  jobId: string;
  /** The keys to free; every key the job holds when omitted. */
  keys?: string[] | undefined;
}

export interface ReleaseDevicesResult {
  released: number;
}
