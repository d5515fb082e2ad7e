/**
 * A simulator plus a ThingSpace client pointed at it, and device builders, for tests that run whole jobs.
 */
import type { JobRequestInput } from '../../src/activation/job.js';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_APP,
  DEFAULT_USER,
  startSimulator,
  type ConfigPatch,
  type RunningSimulator,
  type SeedDevice,
  type SimScheduler,
} from '../../src/simulator/index.js';
import { ThingSpaceClient } from '../../src/thingspace/client.js';

export { DEFAULT_ACCOUNT };

/** Short delays so that asynchronous behaviour finishes within a test. */
export const FAST_SIMULATOR = {
  activationDelayMs: 20,
  callbackDelayMs: 5,
  callbackRetryBackoffMs: 10,
  adminToken: 'test-admin-token',
} as const satisfies ConfigPatch;

export interface ActivationFixture {
  sim: RunningSimulator;
  thingspace: ThingSpaceClient;
  close(): Promise<void>;
}

export async function startActivationFixture(
  devices: SeedDevice[],
  config: ConfigPatch = {},
  options: { scheduler?: SimScheduler; now?: () => number } = {},
): Promise<ActivationFixture> {
  const sim = await startSimulator({
    ...options,
    seed: {
      apps: [DEFAULT_APP],
      users: [{ ...DEFAULT_USER, accountNames: [DEFAULT_ACCOUNT] }],
      accounts: [DEFAULT_ACCOUNT],
      devices,
    },
    config: { ...FAST_SIMULATOR, ...config },
  });
  const thingspace = new ThingSpaceClient({
    baseUrl: sim.url,
    ...DEFAULT_APP,
    ...DEFAULT_USER,
    accountName: DEFAULT_ACCOUNT,
  });
  return { sim, thingspace, close: () => sim.close() };
}

/** A 4G device (IMEI + ICCID with valid lengths), numbered so tests can tell devices apart. */
export function seedDevice(n: number, extra: Partial<SeedDevice> = {}): SeedDevice {
  const serial = String(n).padStart(7, '0');
  return {
    accountName: DEFAULT_ACCOUNT,
    deviceIds: [
      { kind: 'imei', id: `35000000${serial}` },
      { kind: 'iccid', id: `8914000000000${serial}` },
    ],
    state: 'pre-active',
    ...extra,
  };
}

export function nbIotDevice(n: number, extra: Partial<SeedDevice> = {}): SeedDevice {
  const device = seedDevice(n, { type: 'NB-IoT', ...extra });
  return {
    ...device,
    deviceIds: [...device.deviceIds, { kind: 'eid', id: `8904903200000000000000000${String(n).padStart(7, '0')}` }],
  };
}

export function jobDevice(seed: SeedDevice): NonNullable<JobRequestInput['devices']>[number] {
  return { deviceIds: seed.deviceIds, ...(seed.type === 'NB-IoT' && { nbIot: true }) };
}

export const ACTIVATION = { servicePlan: '4G-IoT-1GB', mdnZipCode: '98801' };

/** A job request for `seeds` on the simulator's account, with the usual activation settings. */
export function jobRequest(jobId: string, seeds: SeedDevice[], options?: JobRequestInput['options']): JobRequestInput {
  return {
    jobId,
    accountName: DEFAULT_ACCOUNT,
    activation: ACTIVATION,
    devices: seeds.map(jobDevice),
    ...(options && { options }),
  };
}
