/** JobParts on its own: what a job cut into parts counts and reports, whatever became of each part. */
import { describe, expect, it } from '@jest/globals';
import type { JobResult } from '../../src/activation/job-result.js';
import { emptyCounts } from '../../src/activation/outcomes.js';
import { JobParts, partJobId } from '../../src/workflows/job-parts.js';

const staged = [1, 2, 3, 4].map((n) => ({ deviceList: `job-parts/j/${n}`, devices: 10 }));
const failedDevice = (n: number) => ({ key: `imei:${n}`, deviceIds: [], assignedIds: [], outcome: 'failed' as const });
const result = (activated: number, failed: number, truncated = false): JobResult => ({
  jobId: 'part',
  phase: 'done',
  counts: { ...emptyCounts(activated + failed), activated, failed, pending: 0 },
  requests: [],
  notActivated: Array.from({ length: failed }, (_, i) => failedDevice(i)),
  notActivatedTruncated: truncated,
});

describe('JobParts', () => {
  it('names parts after the job, so they never collide with a caller job ID (~ is not allowed there)', () => {
    expect(new JobParts('j', staged, 5).parts.map((p) => p.jobId)).toEqual([1, 2, 3, 4].map((n) => partJobId('j', n)));
    expect(partJobId('j', 2)).toBe('j~part-2');
  });

  it('counts parts in flight until they say they submitted, or end', () => {
    const parts = new JobParts('j', staged, 5);
    parts.parts[0]!.started = true;
    parts.parts[1]!.started = true;
    expect(parts.inFlight()).toBe(2);
    parts.submitted(partJobId('j', 1));
    expect(parts.inFlight()).toBe(1);
    parts.failed(partJobId('j', 2), 'terminated');
    expect(parts.inFlight()).toBe(0);
  });

  it('adds finished parts, counts a failed part unresolved and, once over, parts never started skipped', () => {
    const parts = new JobParts('j', staged, 5);
    for (const part of parts.parts.slice(0, 3)) part.started = true;
    parts.finished(partJobId('j', 1), result(8, 2));
    parts.failed(partJobId('j', 2), 'terminated');
    expect(parts.counts(false)).toMatchObject({ total: 40, activated: 8, failed: 2, unresolved: 10, pending: 20 });
    parts.finished(partJobId('j', 3), result(10, 0));
    expect(parts.counts(true)).toMatchObject({
      total: 40,
      activated: 18,
      failed: 2,
      unresolved: 10,
      skipped: 10,
      pending: 0,
    });
  });

  it('keeps the first devices not activated, and says when there were more', () => {
    const parts = new JobParts('j', staged, 3);
    parts.finished(partJobId('j', 1), result(8, 2));
    expect(parts.notActivated(false)).toMatchObject({ notActivatedTruncated: false });
    parts.finished(partJobId('j', 2), result(8, 2));
    const { notActivated, notActivatedTruncated } = parts.notActivated(false);
    expect(notActivated).toHaveLength(3);
    expect(notActivatedTruncated).toBe(true);
  });

  it('says the list is not whole when a part listed only its first, or parts never started were skipped', () => {
    const cut = new JobParts('j', staged.slice(0, 2), 100);
    for (const part of cut.parts) part.started = true;
    cut.finished(partJobId('j', 1), result(0, 2, true));
    cut.finished(partJobId('j', 2), result(10, 0));
    expect(cut.notActivated(true)).toMatchObject({ notActivatedTruncated: true });

    // Cancelled after the first part: the other three are counted skipped, and none of their devices is listed.
    const cancelled = new JobParts('j', staged, 100);
    cancelled.parts[0]!.started = true;
    cancelled.finished(partJobId('j', 1), result(10, 0));
    expect(cancelled.counts(true)).toMatchObject({ activated: 10, skipped: 30 });
    expect(cancelled.notActivated(false)).toEqual({ notActivated: [], notActivatedTruncated: false });
    expect(cancelled.notActivated(true)).toEqual({ notActivated: [], notActivatedTruncated: true });

    const whole = new JobParts('j', staged.slice(0, 1), 100);
    whole.parts[0]!.started = true;
    whole.finished(partJobId('j', 1), result(8, 2));
    expect(whole.notActivated(true)).toMatchObject({ notActivatedTruncated: false });
  });

  it("counts devices not activated by reason: finished parts', failed parts' and, once over, parts never started", () => {
    const parts = new JobParts('j', staged, 1);
    for (const part of parts.parts.slice(0, 3)) part.started = true;
    const counted = [{ outcome: 'failed', count: 2, reasons: [{ reason: 'Bad SIM', count: 2 }] }];
    // A part that listed one of its two failures (the bound) still counts both by reason.
    parts.finished(partJobId('j', 1), { ...result(8, 2, true), notActivatedGroups: counted });
    parts.failed(partJobId('j', 2), 'terminated');
    const unresolved = {
      outcome: 'unresolved',
      count: 10,
      reasons: [{ reason: 'part job j~part-2 ended: terminated', count: 10 }],
    };
    expect(parts.notActivatedGroups(false)).toEqual([counted[0], unresolved]);
    const skipped = {
      outcome: 'skipped',
      count: 10,
      reasons: [{ reason: 'job cancelled before submission', count: 10 }],
    };
    expect(parts.notActivatedGroups(true)).toEqual([counted[0], unresolved, skipped]);
    // From an older worker, a part whose list was cut: nobody can say by reason any more.
    parts.finished(partJobId('j', 3), result(0, 10, true));
    expect(parts.notActivatedGroups(true)).toBeUndefined();
  });

  it('keeps failures before other devices not activated when the list is full', () => {
    const skippedDevice = { key: 'imei:9', deviceIds: [], assignedIds: [], outcome: 'skipped' as const };
    const parts = new JobParts('j', staged, 2);
    parts.finished(partJobId('j', 1), { ...result(9, 0), notActivated: [skippedDevice] });
    parts.finished(partJobId('j', 2), result(8, 2));
    const { notActivated, notActivatedTruncated } = parts.notActivated(false);
    expect(notActivated.map((d) => d.outcome)).toEqual(['failed', 'failed']);
    expect(notActivatedTruncated).toBe(true);
  });
});
