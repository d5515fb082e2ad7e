/**
 * The device look-up behind check, re-check and poll, run as an activity (MockActivityEnvironment) against the
 * simulator over HTTP: what it finds, and how many list calls that took, on accounts far bigger than the job.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { lookupDevices, scanAccount, type LookupResult } from '../../src/activities/device-scan.js';
import { planLookup } from '../../src/activities/lookup-plan.js';
import { BitSet, type ScanCursor } from '../../src/activities/scan-cursor.js';
import type { DeviceRef } from '../../src/activities/types.js';
import type { SeedDevice } from '../../src/simulator/index.js';
import { imei } from '../../src/simulator/identifiers.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import { deviceState } from '../../src/thingspace/schemas/devices.js';
import { DEFAULT_ACCOUNT, seedDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { countListCalls, runActivity } from './helpers.js';

const STATES = ['pre-active', 'active', 'deactive', 'suspend', 'preactive'] as const;
const accountDevice = (n: number): SeedDevice => seedDevice(n, { state: STATES[n % STATES.length] });
const ref = (seed: SeedDevice): DeviceRef => ({ key: deviceKey(seed.deviceIds)!, deviceIds: seed.deviceIds });
const expectedState = (n: number) => (n % 5 === 4 ? 'preactive' : STATES[n % 5]!.replace('-', ''));

/** Deterministic spread of `count` distinct device numbers below `max`. */
function scattered(count: number, max: number, seed = 7): number[] {
  const picked = new Set<number>();
  let x = seed;
  while (picked.size < count) {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    picked.add(x % max);
  }
  return [...picked];
}

function expectFound(found: Map<string, unknown>, numbers: number[]) {
  expect(found.size).toBe(numbers.length);
  for (const n of numbers) {
    const device = found.get(ref(accountDevice(n)).key) as Parameters<typeof deviceState>[0] | undefined;
    expect(device).toBeDefined();
    expect(deviceState(device!)).toBe(expectedState(n));
  }
}

describe('planLookup', () => {
  it('scans a shared prefix when it is cheaper than one call per device, never costing more than one per device', () => {
    const consecutive = planLookup(Array.from({ length: 1_000 }, (_, i) => ref(accountDevice(50_000 + i))));
    expect(consecutive.units.filter((u) => u.type === 'prefix')).toEqual([
      { type: 'prefix', kind: 'imei', prefix: '350000000050' },
    ]);
    expect(consecutive.estimatedCalls).toBe(2);
    const spread = planLookup(scattered(10, 200_000).map((n) => ref(accountDevice(n))));
    expect(spread.units.slice(0, spread.fallbackFrom).every((u) => u.type === 'direct')).toBe(true);
    expect(spread.estimatedCalls).toBe(10);
    // Every other identifier (the ICCID) is a fallback for a device missing under its IMEI.
    expect(spread.units.length - spread.fallbackFrom).toBe(10);
  });

  it('scans the whole account when told it is cheaper', () => {
    const plan = planLookup(
      scattered(100, 200_000).map((n) => ref(accountDevice(n))),
      { accountScanCalls: 40 },
    );
    expect(plan.units).toEqual([{ type: 'account' }]);
  });

  it("counts the IMEI check digit out of a prefix's possible identifiers, only when every IMEI has a valid one", () => {
    // 10,000 consecutive serials: 11-digit prefixes name 100 serials × 10 check digits, or 1,000 real IMEIs.
    const imeis = Array.from({ length: 10_000 }, (_, i) => imei('12345', 30_000 + i));
    const refs = (ids: string[]) => ids.map((id) => ({ key: `imei:${id}`, deviceIds: [{ kind: 'IMEI', id }] }));
    const checked = planLookup(refs(imeis));
    const scans = checked.units.filter((u) => u.type === 'prefix');
    expect(scans.map((u) => u.type === 'prefix' && u.prefix.length)).toEqual(Array(10).fill(11));
    expect(checked.estimatedCalls).toBe(20);
    // The same serials with a wrong last digit: 12-digit prefixes, each 100 serials × 10 last digits, 2 calls.
    const wrong = imeis.map((id) => id.slice(0, -1) + ((Number(id.slice(-1)) + 1) % 10));
    expect(planLookup(refs(wrong)).estimatedCalls).toBe(200);
  });
});

describe('device look-up on an account of 200,000 devices', () => {
  let fixture: ActivationFixture;
  beforeAll(async () => {
    fixture = await startActivationFixture(Array.from({ length: 200_000 }, (_, n) => accountDevice(n)));
  }, 120_000);
  afterAll(() => fixture.close());

  const lookup = (numbers: number[], options = {}) =>
    countListCalls(
      fixture.sim,
      () =>
        runActivity(() =>
          lookupDevices(
            fixture.thingspace,
            DEFAULT_ACCOUNT,
            numbers.map((n) => ref(accountDevice(n))),
            options,
          ),
        ).result,
    );

  it('finds 10 scattered devices in at most 10 list calls', async () => {
    const numbers = scattered(10, 200_000);
    const { value, calls } = await lookup(numbers);
    expectFound(value.found, numbers);
    expect(calls).toBeLessThanOrEqual(10);
    expect(value.listCalls).toBe(calls);
    console.log(`10 scattered devices of 200,000: ${calls} list calls`);
  });

  it('finds 1,000 consecutive devices in under 100 list calls', async () => {
    const numbers = Array.from({ length: 1_000 }, (_, i) => 123_000 + i);
    const { value, calls } = await lookup(numbers);
    expectFound(value.found, numbers);
    expect(calls).toBeLessThan(100);
    console.log(`1,000 consecutive devices of 200,000: ${calls} list calls`);
  });

  it('finds 1,000 scattered devices in no more calls than devices', async () => {
    const numbers = scattered(1_000, 200_000, 11);
    const { value, calls } = await lookup(numbers);
    expectFound(value.found, numbers);
    expect(calls).toBeLessThanOrEqual(1_000);
    console.log(`1,000 scattered devices of 200,000: ${calls} list calls (whole account: 400 pages)`);
  }, 240_000);

  it('reports devices not in the account as missing, after trying each of their identifiers once', async () => {
    const unknown = seedDevice(900_000);
    // IMEI not in the account, ICCID of account device 5: found through the fallback on the ICCID.
    const mixed: SeedDevice = {
      ...seedDevice(5),
      deviceIds: [seedDevice(900_001).deviceIds[0]!, seedDevice(5).deviceIds[1]!],
    };
    const { value, calls } = await countListCalls(
      fixture.sim,
      () => runActivity(() => lookupDevices(fixture.thingspace, DEFAULT_ACCOUNT, [ref(unknown), ref(mixed)])).result,
    );
    expect([...value.found.keys()]).toEqual([ref(mixed).key]);
    // The two IMEIs share 14 digits: one prefix scan (10 possible IMEIs) for both, then each ICCID directly.
    expect(calls).toBe(3);
  });

  it('with onlyState, returns only the devices in that state', async () => {
    const numbers = Array.from({ length: 1_000 }, (_, i) => 60_000 + i);
    const { value, calls } = await lookup(numbers, { onlyState: 'Active' });
    expectFound(
      value.found,
      numbers.filter((n) => expectedState(n) === 'active'),
    );
    expect(calls).toBeLessThanOrEqual(2);
  });

  it('scanAccount keeps its old contract: a map by canonical key', async () => {
    const numbers = [3, 4, 199_999];
    const found = await runActivity(() =>
      scanAccount(
        fixture.thingspace,
        DEFAULT_ACCOUNT,
        numbers.map((n) => ref(accountDevice(n))),
      ),
    ).result;
    expectFound(found, numbers);
  });
});

describe('a look-up interrupted by a failed list call resumes from its heartbeat cursor', () => {
  let fixture: ActivationFixture;
  const ACCOUNT_SIZE = 20_000; // 40 pages of 500
  beforeAll(async () => {
    fixture = await startActivationFixture(Array.from({ length: ACCOUNT_SIZE }, (_, n) => accountDevice(n)));
  }, 60_000);
  afterAll(() => fixture.close());

  /** Runs the look-up once whole, then again failing the list call after `pages` pages, and retries from the cursor. */
  async function interruptAndResume(numbers: number[], pages: number, options = {}) {
    const devices = numbers.map((n) => ref(accountDevice(n)));
    const run = (heartbeatDetails?: unknown, onHeartbeat?: (d: unknown, count: number) => void) =>
      runActivity(() => lookupDevices(fixture.thingspace, DEFAULT_ACCOUNT, devices, options), {
        heartbeatDetails,
        ...(onHeartbeat && { onHeartbeat }),
      });
    const whole = await countListCalls(fixture.sim, () => run().result);

    const before = fixture.sim.admin.listCalls();
    const first = run(undefined, (_details, count) => {
      // The heartbeat after page `pages`: the next list call answers 503, and the attempt fails.
      if (count === pages) fixture.sim.admin.scheduleFault({ kind: '5xx', route: 'list', count: 1 });
    });
    await expect(first.result).rejects.toThrow(/503|unavailable/i);
    const callsBefore = fixture.sim.admin.listCalls() - before;
    const cursor = first.heartbeats.at(-1);
    const retry = await countListCalls(fixture.sim, () => run(cursor).result);
    return { whole, callsBefore, retry, cursorChars: JSON.stringify(cursor).length };
  }

  it('a whole-account scan: pages before + pages after = one full scan', async () => {
    const numbers = scattered(300, ACCOUNT_SIZE);
    const { whole, callsBefore, retry, cursorChars } = await interruptAndResume(numbers, 7, {
      forceAccountScan: true,
    });
    expect(whole.calls).toBe(ACCOUNT_SIZE / 500);
    expect(callsBefore).toBe(7);
    expect(retry.value.resumed).toBe(true);
    expect(callsBefore + retry.calls).toBe(whole.calls);
    expect(retry.value.totalListCalls).toBe(whole.calls);
    expectFound(retry.value.found, numbers);
    console.log(
      `account scan of ${whole.calls} pages, failed after ${callsBefore}: retry made ${retry.calls} (cursor ${cursorChars} chars)`,
    );
  });

  it('direct look-ups: calls before + calls after = the uninterrupted look-up', async () => {
    const numbers = scattered(40, ACCOUNT_SIZE, 3);
    const { whole, callsBefore, retry } = await interruptAndResume(numbers, 15, { concurrency: 1 });
    expect(whole.calls).toBeLessThanOrEqual(40);
    expect(callsBefore).toBe(15);
    expect(retry.value.resumed).toBe(true);
    expect(callsBefore + retry.calls).toBe(whole.calls);
    expectFound(retry.value.found, numbers);
  });

  it('dense prefix scans: calls before + calls after = the uninterrupted look-up', async () => {
    // Three runs of 2,000 consecutive devices: prefix scans of a few pages each, one at a time.
    const numbers = [1_000, 9_000, 15_000].flatMap((start) => Array.from({ length: 2_000 }, (_, i) => start + i));
    const { whole, callsBefore, retry, cursorChars } = await interruptAndResume(numbers, 5, { concurrency: 1 });
    expect(callsBefore).toBe(5);
    expect(retry.value.resumed).toBe(true);
    expect(callsBefore + retry.calls).toBe(whole.calls);
    expectFound(retry.value.found, numbers);
    // 2,500 found devices in five states: five profiles and two bytes a device.
    expect(cursorChars).toBeLessThan(20_000);
    console.log(
      `6,000 devices in prefix scans: ${whole.calls} calls whole; failed after ${callsBefore}, retry made ${retry.calls} (cursor ${cursorChars} chars)`,
    );
  });

  it('found devices the cursor could not keep are looked up again, one call each', async () => {
    // 20 unknown IMEIs that sort first (nothing found by the first 20 calls), then 40 devices of the account.
    const unknown = Array.from({ length: 20 }, (_, i) => ({ kind: 'imei', id: `${10 + i}0000000000000` }));
    const numbers = scattered(40, ACCOUNT_SIZE, 3);
    const devices = [
      ...unknown.map((id) => ({ key: deviceKey([id])!, deviceIds: [id] })),
      ...numbers.map((n) => ref(accountDevice(n))),
    ];
    const run = (heartbeatDetails?: unknown, onHeartbeat?: (d: unknown, count: number) => void) =>
      runActivity(() => lookupDevices(fixture.thingspace, DEFAULT_ACCOUNT, devices, { concurrency: 1 }), {
        heartbeatDetails,
        ...(onHeartbeat && { onHeartbeat }),
      });
    const whole = await countListCalls(fixture.sim, () => run().result);
    const first = run(undefined, (_d, count) => {
      if (count === 25) fixture.sim.admin.scheduleFault({ kind: '5xx', route: 'list', count: 1 });
    });
    await expect(first.result).rejects.toThrow(/503|unavailable/i);
    const cursor = first.heartbeats.at(-1) as ScanCursor;
    const forgotten = BitSet.decode(devices.length, cursor.found)!.size;
    expect(forgotten).toBeGreaterThan(0);
    // The cursor keeps no profiles: every device found before must be looked up again.
    const retry = await countListCalls(fixture.sim, () => run({ ...cursor, profiles: [] }).result);
    expect(retry.value.resumed).toBe(true);
    expect(25 + retry.calls).toBe(whole.calls + forgotten);
    expectFound(retry.value.found, numbers);
  });

  it('a cursor for another device list is ignored', async () => {
    const first = runActivity(() =>
      lookupDevices(fixture.thingspace, DEFAULT_ACCOUNT, [ref(accountDevice(1))], { forceAccountScan: true }),
    );
    await first.result;
    const other: LookupResult = await runActivity(
      () => lookupDevices(fixture.thingspace, DEFAULT_ACCOUNT, [ref(accountDevice(2))], { forceAccountScan: true }),
      { heartbeatDetails: first.heartbeats.at(-1) },
    ).result;
    expect(other.resumed).toBe(false);
    expectFound(other.found, [2]);
  });
});
