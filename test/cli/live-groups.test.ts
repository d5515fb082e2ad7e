/**
 * ActivationClient.liveProgress adding up the devices not activated of a running job in parts, over a fake Temporal
 * client: the parent's own counts by reason, a running part's open requests', a part not started yet and a request
 * that does not answer (both pending, as the counts have them), and a request from a worker older than the counts.
 */
import { describe, expect, it } from '@jest/globals';
import type { Client } from '@temporalio/client';
import type { JobPartSummary, JobProgress } from '../../src/activation/job-result.js';
import type { RequestProgress } from '../../src/activation/model.js';
import type { OutcomeGroup } from '../../src/activation/outcome-groups.js';
import { emptyCounts } from '../../src/activation/outcomes.js';
import { ActivationClient } from '../../src/client.js';

const part = (n: number, devices: number, extra: Partial<JobPartSummary>): JobPartSummary => ({
  jobId: `j~part-${n}`,
  deviceList: `job-parts/j/${n}`,
  devices,
  started: false,
  submitted: false,
  ...extra,
});
const group = (outcome: string, reason: string, count: number): OutcomeGroup => ({
  outcome,
  count,
  reasons: [{ reason, count }],
});
const request = (n: number, devices: number) => ({
  requestId: `r${n}`,
  workflowId: `request-r${n}`,
  devices,
  requestIdKnown: true,
});

/** Every workflow running; each answers its `progress` query with what `answers` has for it, or fails. */
function fakeClient(answers: Record<string, JobProgress | RequestProgress>): Client {
  const handle = (id: string) => ({
    describe: async () => ({ status: { name: 'RUNNING' } }),
    query: async () => answers[id] ?? Promise.reject(new Error(`${id} did not answer`)),
  });
  return { workflow: { getHandle: handle } } as unknown as Client;
}

/** A parent of 30 devices: part 1 finished (2 failed), part 2 running (10 devices in two requests), part 3 waiting. */
function answers(second: RequestProgress | undefined): Record<string, JobProgress | RequestProgress> {
  const parent: JobProgress = {
    jobId: 'j',
    phase: 'running-parts',
    counts: { ...emptyCounts(30), activated: 8, failed: 2, pending: 20 },
    requests: [],
    parts: [
      part(1, 10, {
        started: true,
        submitted: true,
        counts: { ...emptyCounts(10), activated: 8, failed: 2, pending: 0 },
      }),
      part(2, 10, { started: true, submitted: true }),
      part(3, 10, {}),
    ],
    notActivatedGroups: [group('failed', 'Bad SIM', 2)],
  };
  const running: JobProgress = {
    jobId: 'j~part-2',
    phase: 'awaiting-requests',
    counts: { ...emptyCounts(10), skipped: 1, pending: 9 },
    requests: [request(1, 5), request(2, 4)],
    notActivatedGroups: [group('skipped', 'already active', 1)],
  };
  const first: RequestProgress = {
    requestId: 'r1',
    phase: 'awaiting-callbacks',
    counts: { ...emptyCounts(5), activated: 3, failed: 1, pending: 1 },
    callbacks: { applied: 4, duplicates: 0, unknown: 0, late: 0, signals: 1 },
    notActivatedGroups: [group('failed', 'Bad SIM', 1), group('pending', 'last status: Pending', 1)],
  };
  return {
    j: parent,
    'j~part-2': running,
    'request-r1': first,
    ...(second && { 'request-r2': second }),
  };
}

describe('live counts by reason of a running job in parts', () => {
  it('adds up every part and request, and counts what could not answer as pending', async () => {
    const live = await new ActivationClient(fakeClient(answers(undefined)), 'q').liveProgress('j');
    expect(live.counts).toEqual({ ...emptyCounts(30), activated: 11, failed: 3, skipped: 1, pending: 15 });
    expect(live.notActivatedGroups).toEqual([
      group('failed', 'Bad SIM', 3),
      group('skipped', 'already active', 1),
      {
        outcome: 'pending',
        count: 15,
        reasons: [
          { reason: 'its part has not started yet', count: 10 },
          { reason: 'its workflow did not answer', count: 4 },
          { reason: 'last status: Pending', count: 1 },
        ],
      },
    ]);
  });

  it('has none when an open request answers from a worker older than the counts', async () => {
    const older: RequestProgress = {
      requestId: 'r2',
      phase: 'awaiting-callbacks',
      counts: emptyCounts(4),
      callbacks: { applied: 0, duplicates: 0, unknown: 0, late: 0, signals: 0 },
    };
    const live = await new ActivationClient(fakeClient(answers(older)), 'q').liveProgress('j');
    expect(live.counts.pending).toBe(15);
    expect(live.notActivatedGroups).toBeUndefined();
  });
});
