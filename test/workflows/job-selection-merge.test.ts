/**
 * resolveJobSelection as plain code (it is deterministic workflow code with the activity passed in): how listed and
 * selected devices merge, what the summary counts, and the job size bound, which would take a 50,000-device
 * account to reach end to end.
 */
import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { MAX_DEVICES_PER_JOB, SELECTION_DEVICES_PER_CALL } from '../../src/activation/job-limits.js';
import type { JobSelectionSummary } from '../../src/activation/job-result.js';
import type { ResolveSelectionInput, ResolveSelectionResult } from '../../src/activities/resolve-selection.js';
import { SELECTION_TOO_LARGE } from '../../src/activation/job-limits.js';
import { resolveJobSelection } from '../../src/workflows/job-selection.js';

const ids = (n: number) => [
  { kind: 'imei', id: `35000000${String(n).padStart(7, '0')}` },
  { kind: 'iccid', id: `8914000000000${String(n).padStart(7, '0')}` },
];

/** A selection of `total` devices served `perCall` at a time, recording each call's input. */
function fakeResolve(total: number, extra: Partial<ResolveSelectionResult> = {}) {
  const calls: ResolveSelectionInput[] = [];
  const resolve = async (input: ResolveSelectionInput): Promise<ResolveSelectionResult> => {
    calls.push(input);
    const from = input.after === undefined ? 0 : Number(input.after);
    const to = Math.min(total, from + (input.maxDevices ?? 2_000));
    return {
      devices: Array.from({ length: to - from }, (_, i) => ({ deviceIds: ids(from + i) })),
      excludedNbIot: 1,
      listCalls: 2,
      ...(to < total && { nextCursor: String(to) }),
      ...extra,
    };
  };
  return { calls, resolve };
}

const emptySummary = (): JobSelectionSummary => ({ resolved: 0, excludedNbIot: 0, alsoListed: 0, listCalls: 0 });

describe('resolveJobSelection', () => {
  it('calls page by page with the cursor until none, listed devices first, each device once', async () => {
    const { calls, resolve } = fakeResolve(12_000);
    const summary = emptySummary();
    const listed = [
      { deviceIds: ids(3), ipAddress: '10.0.0.3' },
      // Named only by its ICCID: the selection's IMEI + ICCID entry is the same device.
      { deviceIds: ids(7).slice(1) },
      { deviceIds: ids(99_999) },
    ];
    const devices = await resolveJobSelection('acct', { groupName: 'West' }, listed, resolve, summary);
    expect(calls.map((c) => c.after)).toEqual([undefined, '5000', '10000']);
    expect(calls.every((c) => c.maxDevices === SELECTION_DEVICES_PER_CALL && c.groupName === 'West')).toBe(true);
    expect(calls[0]).not.toHaveProperty('customFields');
    expect(devices).toHaveLength(12_000 + 1);
    expect(devices.slice(0, 3)).toEqual(listed);
    expect(summary).toEqual({ resolved: 12_000, excludedNbIot: 3, alsoListed: 2, listCalls: 6 });
  });

  it('passes custom fields and includeNbIot, and keeps the nbIot flag of selected devices', async () => {
    const { calls, resolve } = fakeResolve(0, { devices: [{ deviceIds: ids(1), nbIot: true }] });
    const customFields = [{ key: 'CustomField1' as const, value: 'Blue' }];
    const devices = await resolveJobSelection(
      'acct',
      { customFields, includeNbIot: true },
      [],
      resolve,
      emptySummary(),
    );
    expect(calls).toEqual([{ accountName: 'acct', customFields, includeNbIot: true, maxDevices: 5_000 }]);
    expect(devices).toEqual([{ deviceIds: ids(1), nbIot: true }]);
  });

  it(`refuses a job that would exceed ${MAX_DEVICES_PER_JOB} devices, before anything is checked`, async () => {
    const { calls, resolve } = fakeResolve(MAX_DEVICES_PER_JOB);
    const error = await resolveJobSelection(
      'acct',
      { groupName: 'All' },
      [{ deviceIds: ids(-1) }],
      resolve,
      emptySummary(),
    ).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe(SELECTION_TOO_LARGE);
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
    expect((error as Error).message).toMatch(/^selection: the job would hold more than 50000 devices/);
    expect(calls).toHaveLength(MAX_DEVICES_PER_JOB / SELECTION_DEVICES_PER_CALL);
  });
});
