/**
 * submitActivation on its own (MockActivityEnvironment) against the simulator: each kind of ThingSpace answer maps
 * to the result the job workflow acts on, and the simulator's record shows whether the request was taken.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createSubmitActivities } from '../../src/activities/index.js';
import type { SubmitActivationInput } from '../../src/activities/types.js';
import type { SeedDevice } from '../../src/simulator/index.js';
import {
  ACTIVATION,
  DEFAULT_ACCOUNT,
  seedDevice,
  startActivationFixture,
  type ActivationFixture,
} from '../harness/activation.js';

const seeds = Array.from({ length: 8 }, (_, n) => seedDevice(100 + n));
let fixture: ActivationFixture;
let submit: ReturnType<typeof createSubmitActivities>['submitActivation'];

beforeAll(async () => {
  fixture = await startActivationFixture(seeds);
  submit = createSubmitActivities(fixture.thingspace).submitActivation;
});
afterEach(() => {
  fixture.sim.admin.clearFaults();
});
afterAll(async () => {
  await fixture?.close();
});

const input = (...devices: SeedDevice[]): SubmitActivationInput => ({
  accountName: DEFAULT_ACCOUNT,
  settings: ACTIVATION,
  devices: devices.map((d) => ({ deviceIds: d.deviceIds })),
});
const submissions = () => fixture.sim.admin.submissions().totalSubmissions;
const run = (devices: SeedDevice[]) => new MockActivityEnvironment().run(submit, input(...devices));

describe('submitActivation', () => {
  it('accepted: returns the requestId of the request ThingSpace took', async () => {
    const before = submissions();
    const result = await run([seeds[0]!]);
    expect(result).toEqual({ kind: 'accepted', requestId: expect.any(String) });
    expect(fixture.sim.admin.request((result as { requestId: string }).requestId)).toBeDefined();
    expect(submissions()).toBe(before + 1);
  });

  it('refused: a 400 is final, names the code, and nothing was submitted', async () => {
    const { maxDevicesPerActivate } = fixture.sim.admin.getConfig();
    fixture.sim.admin.setConfig({ maxDevicesPerActivate: 1 });
    try {
      const before = submissions();
      const result = await run([seeds[1]!, seeds[2]!]);
      expect(result).toMatchObject({ kind: 'refused', errorCode: expect.any(String) });
      expect((result as { errorMessage: string }).errorMessage).toMatch(/at most 1 devices/);
      expect(submissions()).toBe(before);
    } finally {
      fixture.sim.admin.setConfig({ maxDevicesPerActivate });
    }
  });

  it('retry: 429 (with its Retry-After) and 503 mean "not now", and nothing was submitted', async () => {
    const before = submissions();
    fixture.sim.admin.scheduleFault({ kind: '429', route: 'activate', count: 1 });
    const limited = await run([seeds[3]!]);
    const { retryAfterSeconds } = fixture.sim.admin.getConfig().faults;
    expect(limited).toMatchObject({ kind: 'retry', retryAfterMs: retryAfterSeconds * 1000 });
    fixture.sim.admin.scheduleFault({ kind: '5xx', status: 503, route: 'activate', count: 1 });
    expect(await run([seeds[3]!])).toMatchObject({ kind: 'retry' });
    expect(submissions()).toBe(before);
  });

  it('ambiguous: a 500 or a dropped connection after ThingSpace took the request (so it must not be resent)', async () => {
    const before = submissions();
    fixture.sim.admin.scheduleFault({ kind: 'ambiguous-500', route: 'activate', count: 1 });
    expect(await run([seeds[4]!])).toMatchObject({ kind: 'ambiguous' });
    fixture.sim.admin.scheduleFault({ kind: 'ambiguous-drop', route: 'activate', count: 1 });
    expect(await run([seeds[5]!])).toMatchObject({ kind: 'ambiguous' });
    // Both were in fact taken: this is why the workflow rechecks instead of resending.
    expect(submissions()).toBe(before + 2);
  });
});
