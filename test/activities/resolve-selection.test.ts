/**
 * Group / custom-field selection resolved through the list endpoint's filters, run as an activity
 * (MockActivityEnvironment) against the simulator over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import {
  resolveSelection,
  type ResolvedDevice,
  type ResolveSelectionInput,
  type ResolveSelectionResult,
} from '../../src/activities/resolve-selection.js';
import { DEFAULT_ACCOUNT, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { hasFields, inGroup, matching, selectionDevice, selectionSeed } from '../harness/selection-seed.js';
import { countListCalls, runActivity } from './helpers.js';

const COUNT = 3_000;
const isNbIot = (n: number) => selectionDevice(n).type === 'NB-IoT';
const expectedIds = (n: number) =>
  selectionDevice(n)
    .deviceIds.map((d) => ({ kind: d.kind.toLowerCase(), id: d.id }))
    .sort((a, b) => ['imei', 'iccid', 'eid'].indexOf(a.kind) - ['imei', 'iccid', 'eid'].indexOf(b.kind));

describe('resolveSelection', () => {
  let fixture: ActivationFixture;
  beforeAll(async () => {
    fixture = await startActivationFixture(selectionSeed(COUNT));
  });
  afterAll(() => fixture.close());

  const call = (input: ResolveSelectionInput, heartbeatDetails?: unknown) =>
    runActivity(() => resolveSelection(fixture.thingspace, input), { heartbeatDetails });

  /** Every call until the selection is exhausted. */
  async function resolveAll(input: ResolveSelectionInput) {
    const devices: ResolvedDevice[] = [];
    let excludedNbIot = 0;
    let calls = 0;
    let reported = 0;
    let after: string | undefined;
    do {
      const result: ResolveSelectionResult = await call({ ...input, ...(after !== undefined && { after }) }).result;
      expect(result.devices.length).toBeLessThanOrEqual(input.maxDevices ?? 2_000);
      devices.push(...result.devices);
      excludedNbIot += result.excludedNbIot;
      reported += result.listCalls;
      calls++;
      after = result.nextCursor;
    } while (after !== undefined);
    return { devices, excludedNbIot, calls, reported };
  }

  it('a device group: exactly its 4G devices, in bounded chunks, NB-IoT devices counted apart', async () => {
    const input = { accountName: DEFAULT_ACCOUNT, groupName: '4G West', maxDevices: 700 };
    const { value, calls } = await countListCalls(fixture.sim, () => resolveAll(input));
    const group = matching(COUNT, inGroup('4G West'));
    expect(value.devices).toEqual(group.filter((n) => !isNbIot(n)).map((n) => ({ deviceIds: expectedIds(n) })));
    expect(value.excludedNbIot).toBe(group.filter(isNbIot).length);
    expect(value.calls).toBeGreaterThan(1);
    expect(value.reported).toBe(calls);
    console.log(
      `group of ${group.length} devices in chunks of 700: ${value.calls} activity calls, ${calls} list calls`,
    );
  });

  it('custom fields: every pair must match; with includeNbIot, NB-IoT devices come flagged', async () => {
    const customFields = [
      { key: 'CustomField2' as const, value: 'SuperVend' },
      { key: 'CustomField1' as const, value: 'Blue' },
    ];
    const { devices, excludedNbIot } = await resolveAll({
      accountName: DEFAULT_ACCOUNT,
      customFields,
      includeNbIot: true,
    });
    const selected = matching(COUNT, hasFields(customFields));
    expect(excludedNbIot).toBe(0);
    expect(devices).toEqual(selected.map((n) => ({ deviceIds: expectedIds(n), ...(isNbIot(n) && { nbIot: true }) })));
    expect(devices.some((d) => d.nbIot)).toBe(true);
  });

  it('group and custom fields together', async () => {
    const customFields = [{ key: 'CustomField1' as const, value: 'Blue' }];
    const { devices } = await resolveAll({ accountName: DEFAULT_ACCOUNT, groupName: '4G East', customFields });
    const selected = matching(
      COUNT,
      (seed, n) => inGroup('4G East')(seed) && hasFields(customFields)(seed) && !isNbIot(n),
    );
    expect(devices).toEqual(selected.map((n) => ({ deviceIds: expectedIds(n) })));
  });

  it('an interrupted call resumes from its heartbeat cursor: pages before + pages after = one whole call', async () => {
    const input = { accountName: DEFAULT_ACCOUNT, groupName: '4G West', maxDevices: 1_800 };
    const whole = await countListCalls(fixture.sim, () => call(input).result);
    const before = fixture.sim.admin.listCalls();
    const first = runActivity(() => resolveSelection(fixture.thingspace, input), {
      onHeartbeat: (_d, count) => {
        if (count === 2) fixture.sim.admin.scheduleFault({ kind: '5xx', route: 'list', count: 1 });
      },
    });
    await expect(first.result).rejects.toThrow(/503|unavailable/i);
    const callsBefore = fixture.sim.admin.listCalls() - before;
    const retry = await countListCalls(fixture.sim, () => call(input, first.heartbeats.at(-1)).result);
    expect(callsBefore).toBe(2);
    expect(callsBefore + retry.calls).toBe(whole.calls);
    expect(retry.value).toEqual(whole.value);
  });

  it('refuses a selection naming neither a group nor custom fields, and bad custom fields, naming the field', async () => {
    const refused = async (input: unknown) => {
      const error = await call(input as ResolveSelectionInput).result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApplicationFailure);
      expect((error as ApplicationFailure).nonRetryable).toBe(true);
      return (error as Error).message;
    };
    expect(await refused({ accountName: DEFAULT_ACCOUNT })).toMatch(/groupName or customFields is required/);
    expect(await refused({ accountName: DEFAULT_ACCOUNT, customFields: [{ key: 'Colour', value: 'Blue' }] })).toMatch(
      /customFields.*key must be one of CustomField1/,
    );
    expect(await refused({ accountName: DEFAULT_ACCOUNT, groupName: 'x', maxDevices: 20_000 })).toMatch(
      /maxDevices must be at most 10000/,
    );
  });
});
