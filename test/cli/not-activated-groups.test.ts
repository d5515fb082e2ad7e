/**
 * Where the CLI's groups of devices not activated come from: the job's own counts by reason when its workers kept
 * them, else a finished job's result when it lists them all (no report read, which for a million devices replays
 * every request workflow), the whole report otherwise.
 */
import { describe, expect, it } from '@jest/globals';
import { listsEveryNotActivated, type JobProgress, type JobResult } from '../../src/activation/job-result.js';
import type { DeviceReport } from '../../src/activation/model.js';
import { emptyCounts } from '../../src/activation/outcomes.js';
import type { ActivationClient } from '../../src/client.js';
import { notActivatedGroups } from '../../src/cli/jobs.js';

const device = (n: number, outcome: DeviceReport['outcome'], reason: string): DeviceReport => ({
  key: `imei:${n}`,
  deviceIds: [],
  assignedIds: [],
  outcome,
  reason,
});

/** A finished job of 10 devices: 7 activated, 2 failed, 1 skipped, listing `listed` of the 3 and saying `truncated`. */
function result(listed: number, truncated = false): JobResult {
  const all = [device(1, 'failed', 'Bad SIM'), device(2, 'failed', 'Bad SIM'), device(3, 'skipped', 'already active')];
  return {
    jobId: 'j',
    phase: 'done',
    counts: { ...emptyCounts(10), activated: 7, failed: 2, skipped: 1, pending: 0 },
    requests: [],
    notActivated: all.slice(0, listed),
    notActivatedTruncated: truncated,
  };
}

describe('listsEveryNotActivated', () => {
  it('holds when the list is not cut and has as many devices as the counts leave unactivated', () => {
    expect(listsEveryNotActivated(result(3))).toBe(true);
    expect(listsEveryNotActivated(result(3, true))).toBe(false);
    // An older worker's result: a request listed only some of its failures, and the job called its list whole.
    expect(listsEveryNotActivated(result(2))).toBe(false);
  });
});

describe('notActivatedGroups', () => {
  /** An ActivationClient that has `completed` as the job's result (undefined: still running) and a whole report. */
  function activation(completed: JobResult | undefined) {
    const reads: string[] = [];
    const client = {
      completedResult: async () => {
        reads.push('result');
        return completed;
      },
      async *report(jobId: string) {
        reads.push(`report ${jobId}`);
        yield [...result(3).notActivated, device(4, 'activated', '')];
      },
    } as unknown as ActivationClient;
    return { client, reads };
  }
  const expected = [
    { outcome: 'failed', count: 2, reasons: [{ reason: 'Bad SIM', count: 2 }] },
    { outcome: 'skipped', count: 1, reasons: [{ reason: 'already active', count: 1 }] },
  ];
  /** The groups for a job whose (live) progress is `progress`, and what was read to find them. */
  const groups = async (progress: JobProgress, completed: JobResult | undefined) => {
    const { client, reads } = activation(completed);
    return { groups: await notActivatedGroups(client, progress), reads };
  };
  const { notActivated: _list, notActivatedTruncated: _cut, ...progress } = result(3);

  it("takes the job's counts by reason when it has them, and reads nothing else", async () => {
    // What the report would say differs, so the counts are seen to be the ones used.
    const counted = [{ outcome: 'pending', count: 10, reasons: [{ reason: 'nothing heard yet', count: 10 }] }];
    expect(await groups({ ...progress, notActivatedGroups: counted }, undefined)).toEqual({
      groups: counted,
      reads: [],
    });
  });

  it('reads no report for a completed job whose result lists every device not activated', async () => {
    expect(await groups(progress, result(3))).toEqual({ groups: expected, reads: ['result'] });
  });

  it('reads the whole report when the result lists only some, or the job still runs', async () => {
    expect(await groups(progress, result(2))).toEqual({ groups: expected, reads: ['result', 'report j'] });
    expect(await groups(progress, result(3, true))).toEqual({ groups: expected, reads: ['result', 'report j'] });
    expect(await groups(progress, undefined)).toEqual({ groups: expected, reads: ['result', 'report j'] });
  });
});
