/**
 * Where the CLI's groups of devices not activated come from: a finished job's result when it lists them all (no
 * report read, which for a million devices replays every request workflow), the whole report otherwise.
 */
import { describe, expect, it } from '@jest/globals';
import { listsEveryNotActivated, type JobResult } from '../../src/activation/job-result.js';
import type { DeviceReport } from '../../src/activation/model.js';
import { emptyCounts } from '../../src/activation/outcomes.js';
import type { ActivationClient } from '../../src/client.js';
import { notActivatedTally } from '../../src/cli/jobs.js';

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

describe('notActivatedTally', () => {
  /** An ActivationClient that has `completed` as the job's result (undefined: still running) and a whole report. */
  function activation(completed: JobResult | undefined) {
    const reads: string[] = [];
    const client = {
      completedResult: async () => completed,
      async *report(jobId: string) {
        reads.push(jobId);
        yield [...result(3).notActivated, device(4, 'activated', '')];
      },
    } as unknown as ActivationClient;
    return { client, reads };
  }
  const groups = async (completed: JobResult | undefined) => {
    const { client, reads } = activation(completed);
    const tally = await notActivatedTally(client, 'j', 10);
    return { groups: tally.groups(), reads };
  };
  const expected = [
    { outcome: 'failed', count: 2, reasons: [{ reason: 'Bad SIM', count: 2 }] },
    { outcome: 'skipped', count: 1, reasons: [{ reason: 'already active', count: 1 }] },
  ];

  it('reads no report for a completed job whose result lists every device not activated', async () => {
    expect(await groups(result(3))).toEqual({ groups: expected, reads: [] });
  });

  it('reads the whole report when the result lists only some, or the job still runs', async () => {
    expect(await groups(result(2))).toEqual({ groups: expected, reads: ['j'] });
    expect(await groups(result(3, true))).toEqual({ groups: expected, reads: ['j'] });
    expect(await groups(undefined)).toEqual({ groups: expected, reads: ['j'] });
  });
});
