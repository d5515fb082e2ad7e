/** The simulator's own state model: what a seed file holds and what the in-memory store keeps per device. */

import type { DeviceId } from '../thingspace/schemas/device-key.js';

export type DeviceType = '4G' | 'NB-IoT';

/** Stored as spelled, because real payloads use both `pre-active` and `preactive`. */
export type DeviceState = 'pre-active' | 'preactive' | 'active' | 'deactive' | 'suspend';

/**
 * What happens when the device is submitted for activation. Absent fields fall back to the random outcome mix, so
 * a seed can script only the devices a test cares about.
 */
export interface DeviceOutcome {
  activation?: 'success' | 'failure';
  /** Failure reason sent in the callback and recorded in history. */
  reason?: string;
  nidd?: 'success' | 'failure';
  niddReason?: string;
  /** The CarrierService callback is never sent (ThingSpace lost it); the state change still happens. */
  dropCallback?: boolean;
  dropNiddCallback?: boolean;
  /** Every callback of this device is sent twice. */
  duplicateCallback?: boolean;
}

export interface SeedDevice {
  accountName: string;
  type?: DeviceType;
  deviceIds: DeviceId[];
  state?: DeviceState;
  servicePlan?: string;
  /** false: the device exists (in MDM) but is not listed in the account until an activation touches it. */
  inAccount?: boolean;
  groupNames?: string[];
  customFields?: { key: string; value: string }[];
  outcome?: DeviceOutcome;
}

export interface SeedUser {
  username: string;
  password: string;
  accountNames: string[];
}

export interface SeedApp {
  appKey: string;
  appSecret: string;
}

/**
 * Many ready devices on one account, named by their position alone: identifiers are computed from `prefix` and the
 * position (see blockDeviceIds), and a device takes memory only once something changes it. A seed of two million
 * devices listed one by one is about 400 MB of JSON and several GB of objects; a block is one line.
 */
export interface DeviceBlockSeed {
  accountName: string;
  count: number;
  /** Five digits that set these identifiers apart from every other block's and generated seed's. */
  prefix: string;
  state?: DeviceState;
  servicePlan?: string;
}

export interface SimulatorSeed {
  apps: SeedApp[];
  users: SeedUser[];
  accounts: string[];
  devices: SeedDevice[];
  blocks?: DeviceBlockSeed[];
}

export interface HistoryEntry {
  occurredAt: string;
  status: string;
  eventBy: string;
  eventType: string;
  mdn: string;
  msisdn: string;
  servicePlan: string;
  extendedAttributes: { key: string; value: string }[];
}

export interface SimDevice {
  /** ThingSpace's internal DeviceId: monotonically increasing, so list order and paging follow it. */
  internalId: number;
  accountName: string;
  type: DeviceType;
  deviceIds: DeviceId[];
  state: DeviceState;
  servicePlan: string;
  inAccount: boolean;
  /** Submitted for activation but never known to MDM: activation always fails. */
  unknown: boolean;
  createdAt: string;
  groupNames: string[];
  customFields: { key: string; value: string }[];
  outcome: DeviceOutcome | undefined;
  ipAddress: string | null;
  mdn: string | null;
  msisdn: string | null;
  imsi: string | null;
  min: string | null;
  lastActivationDate: string | null;
  lastActivationBy: string | null;
  history: HistoryEntry[];
  /** Activations accepted but not yet carried out. */
  inFlight: number;
  /** Times the device appeared in an accepted activate request, whatever the outcome. */
  submissions: number;
  /** The requestIds of those requests, oldest first. */
  requestIds: string[];
  /** Activations that changed the state to active: more than one proves a double activation. */
  activations: number;
}

type ActivationFields = Pick<
  SimDevice,
  | 'ipAddress'
  | 'mdn'
  | 'msisdn'
  | 'imsi'
  | 'min'
  | 'lastActivationDate'
  | 'lastActivationBy'
  | 'history'
  | 'inFlight'
  | 'submissions'
  | 'requestIds'
  | 'activations'
>;

/**
 * What a device record holds before any activation touched it: seeded and unknown devices' records start so, and a
 * block device's record (device-block.ts) starts with the same values.
 */
export function untouchedActivationFields(): ActivationFields {
  return {
    ipAddress: null,
    mdn: null,
    msisdn: null,
    imsi: null,
    min: null,
    lastActivationDate: null,
    lastActivationBy: null,
    history: [],
    inFlight: 0,
    submissions: 0,
    requestIds: [],
    activations: 0,
  };
}

export function kindIs(identifier: DeviceId, kind: string): boolean {
  return identifier.kind.toLowerCase() === kind.toLowerCase();
}

export function idOfKind(ids: readonly DeviceId[], kind: string): string | undefined {
  return ids.find((d) => kindIs(d, kind))?.id;
}

/** `pre-active` and `preactive` name the same state. */
export function normalizeState(state: string): string {
  const s = state.toLowerCase();
  return s === 'preactive' ? 'pre-active' : s;
}
