/**
 * checkDevices, recheckDevices and pollDevices on their own (MockActivityEnvironment), against the simulator over HTTP. The
 * never-resend rule: after an ambiguous activate, a device counts as submitted when its state left the activatable
 * ones or its history shows an activation since the send — and only the others may be sent again.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { BlobStore } from '../../src/storage/blob-store.js';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../src/activities/index.js';
import type { DeviceRef, PollDevicesResult } from '../../src/activities/types.js';
import type { SeedDevice } from '../../src/simulator/index.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import {
  ACTIVATION,
  DEFAULT_ACCOUNT,
  nbIotDevice,
  seedDevice,
  startActivationFixture,
  type ActivationFixture,
} from '../harness/activation.js';

const HOUR = 3_600_000;
const ref = (seed: SeedDevice): DeviceRef => ({ key: deviceKey(seed.deviceIds)!, deviceIds: seed.deviceIds });
const failing = { outcome: { activation: 'failure', reason: 'Device not eligible for plan' } } as const;

const active = seedDevice(1, { state: 'active' });
const failedAfterSend = seedDevice(2, failing);
const untouched = seedDevice(3);
const failedBeforeSend = seedDevice(4, failing);
const suspended = seedDevice(5, { state: 'suspend' });
const deactivated = seedDevice(6, { state: 'deactive' });
const notInAccount = seedDevice(7);
// NB-IoT in the account, whatever a job says of it.
const nbIot = nbIotDevice(8);

// The simulator's clock, moved by the test: history timestamps fall clearly before or after the send. It stays
// behind real time, because history lookups end at the real present.
let clock = Date.now() - 3 * HOUR;
let fixture: ActivationFixture;
let activities: ReturnType<typeof createActivities>;
/** These activities never reach other workflows: a client that throws if used proves it. */
const unusedTemporal = new Proxy({} as Client, {
  get: () => {
    throw new Error('these activities must not use the Temporal client');
  },
});
const unusedStore = new Proxy({} as BlobStore, {
  get: () => {
    throw new Error('these activities must not use the store');
  },
});
let submittedAt: string;

beforeAll(async () => {
  fixture = await startActivationFixture(
    [active, failedAfterSend, untouched, failedBeforeSend, suspended, deactivated, nbIot],
    {},
    { now: () => clock },
  );
  activities = createActivities(fixture.thingspace, unusedTemporal, unusedStore);
  const activate = async (seed: SeedDevice) => {
    await fixture.thingspace.activate({ devices: [{ deviceIds: seed.deviceIds }], ...ACTIVATION });
    await fixture.sim.admin.settled();
  };
  await activate(failedBeforeSend);
  clock += HOUR;
  submittedAt = new Date(clock).toISOString();
  clock += HOUR;
  await activate(failedAfterSend);
});
afterAll(async () => {
  await fixture?.close();
});

describe('checkDevices', () => {
  it('sorts devices into ready, already active, not in the account and ineligible (by index)', async () => {
    const env = new MockActivityEnvironment();
    const devices = [active, untouched, suspended, deactivated, notInAccount, nbIot].map(ref);
    const result = await env.run(activities.checkDevices, { accountName: DEFAULT_ACCOUNT, devices });
    expect(result).toEqual({
      alreadyActive: [0],
      notInAccount: [4],
      ineligible: [{ index: 2, state: 'suspend' }],
      nbIot: [5],
    });
  });
});

describe('recheckDevices (the never-resend rule)', () => {
  it('counts as submitted what changed state or has an activation in its history since the send', async () => {
    const env = new MockActivityEnvironment();
    const devices = [active, failedAfterSend, untouched, failedBeforeSend, deactivated, notInAccount].map(ref);
    const result = await env.run(activities.recheckDevices, { accountName: DEFAULT_ACCOUNT, devices, submittedAt });
    // 0: active now; 1: still pre-active, but its (failed) activation is on record after the send: never resend.
    // 2, 3 (history older than the send), 4 (deactive is activatable) and 5 (unknown): free to send again.
    expect(result).toEqual({ submitted: [0, 1] });
  });

  it('takes history from before the send as no evidence', async () => {
    const env = new MockActivityEnvironment();
    const devices = [failedBeforeSend, failedAfterSend].map(ref);
    const later = new Date(clock + 1).toISOString();
    const result = await env.run(activities.recheckDevices, {
      accountName: DEFAULT_ACCOUNT,
      devices,
      submittedAt: later,
    });
    expect(result).toEqual({ submitted: [] });
  });
});

describe('pollDevices', () => {
  it('settles the active as activated and those with a failed activation since the send as failed', async () => {
    const env = new MockActivityEnvironment();
    const devices = [active, failedAfterSend, untouched, failedBeforeSend].map(ref);
    // MockActivityEnvironment.run does not infer the result type from the function.
    const { settled } = (await env.run(activities.pollDevices, {
      accountName: DEFAULT_ACCOUNT,
      devices,
      submittedAt,
    })) as PollDevicesResult;
    expect(settled).toEqual([
      expect.objectContaining({ key: ref(active).key, outcome: 'activated', state: 'active' }),
      {
        key: ref(failedAfterSend).key,
        outcome: 'failed',
        assignedIds: [],
        reason: expect.stringMatching(/\(from history\): Device not eligible for plan$/),
      },
    ]);
  });
});
