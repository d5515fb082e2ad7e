/**
 * JobLedger on its own: the devices not activated that a job's result lists, whether that list is whole, and the
 * counts by reason that `status` shows without reading the report.
 */
import { describe, expect, it } from '@jest/globals';
import type { RequestResult } from '../../src/activation/model.js';
import { emptyCounts } from '../../src/activation/outcomes.js';
import { JobLedger } from '../../src/workflows/job-ledger.js';
import { jobDevice, seedDevice } from '../harness/activation.js';

const devices = Array.from({ length: 6 }, (_, i) => jobDevice(seedDevice(i + 1)));

/** A request's result that lists `listed` failed devices of `failed`, as a request workflow bounds its list. */
function requestResult(failed: number, listed: number): RequestResult {
  return {
    requestId: 'r',
    phase: 'done',
    counts: { ...emptyCounts(failed), failed, pending: 0 },
    callbacks: { applied: failed, duplicates: 0, unknown: 0, late: 0, signals: 1 },
    notActivated: Array.from({ length: listed }, (_, i) => ({
      key: `imei:${i}`,
      deviceIds: [],
      assignedIds: [],
      outcome: 'failed' as const,
    })),
    notActivatedTruncated: listed < failed,
  };
}

function ledgerWithRequest(result: RequestResult): JobLedger {
  const ledger = new JobLedger(devices);
  ledger.settle([0], { outcome: 'skipped', reason: 'already active' });
  ledger.addRequest({ requestId: 'r', workflowId: 'w', devices: 5, requestIdKnown: true }, [1, 2, 3, 4, 5]);
  ledger.requestFinished('w', result);
  return ledger;
}

describe('JobLedger.notActivated', () => {
  it('lists failures first, then the devices settled by the job, up to the limit', () => {
    const { notActivated, notActivatedTruncated } = ledgerWithRequest(requestResult(5, 5)).notActivated(6);
    expect(notActivated.map((d) => d.outcome)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed', 'skipped']);
    expect(ledgerWithRequest(requestResult(5, 5)).notActivated(3)).toMatchObject({ notActivatedTruncated: true });
    expect(notActivatedTruncated).toBe(false);
  });

  it('is not whole when a request listed only its first devices, even if the job list has room', () => {
    // The request failed 5 devices and listed 2 (its own bound): 3 are in the job's list, 6 are not activated.
    const { notActivated, notActivatedTruncated } = ledgerWithRequest(requestResult(5, 2)).notActivated(100);
    expect(notActivated).toHaveLength(3);
    expect(notActivatedTruncated).toBe(true);
  });
});

describe('JobLedger.notActivatedGroups', () => {
  const skipped = { outcome: 'skipped', count: 1, reasons: [{ reason: 'already active', count: 1 }] };

  it("counts the job's own devices and its finished requests' by reason, however many a request listed", () => {
    const counted = [{ outcome: 'failed', count: 5, reasons: [{ reason: 'Bad SIM', count: 5 }] }];
    const ledger = ledgerWithRequest({ ...requestResult(5, 2), notActivatedGroups: counted });
    expect(ledger.notActivatedGroups()).toEqual([counted[0], skipped]);
  });

  it("counts from a request's list when an older worker's result has no counts by reason but lists them all", () => {
    expect(ledgerWithRequest(requestResult(5, 5)).notActivatedGroups()).toEqual([
      { outcome: 'failed', count: 5, reasons: [{ reason: '(no reason given)', count: 5 }] },
      skipped,
    ]);
  });

  it('cannot say when such a result listed only its first devices', () => {
    expect(ledgerWithRequest(requestResult(5, 2)).notActivatedGroups()).toBeUndefined();
  });
});
