/**
 * A job whose one request leaves more devices not activated than a result lists (100): the job's result says its
 * list is cut short, and a retry comes from the whole report, so it takes every device. The CLI's groups come from
 * the result's counts by reason, which count every device without reading the report. Before, the job took the
 * request's first 100 for a whole list, and the summary counted 100 failures of 105.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ActivationClient } from '../../src/client.js';
import { notActivatedGroups } from '../../src/cli/jobs.js';
import { jobRequest, seedDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { connectTestClient, uniqueTaskQueue, withActivationWorkers, type TestTemporal } from '../harness/temporal.js';

const FAILING = 105;
const seeds = [
  ...Array.from({ length: FAILING }, (_, i) =>
    seedDevice(900 + i, { outcome: { activation: 'failure', reason: 'Bad SIM' } }),
  ),
  seedDevice(900 + FAILING),
];

let temporal: TestTemporal;
let fixture: ActivationFixture;
beforeAll(async () => {
  temporal = await connectTestClient();
  fixture = await startActivationFixture(seeds);
});
afterAll(async () => {
  await fixture.close();
  await temporal.close();
});

describe('a job with more devices not activated than its result lists', () => {
  it('says its list is cut short, and the groups count every device', async () => {
    const taskQueue = uniqueTaskQueue('job-not-activated');
    const jobId = `job-not-activated-${Date.now()}`;
    const activation = new ActivationClient(temporal.client, taskQueue);
    await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
      const { handle } = await activation.startJob(
        jobRequest(jobId, seeds, { callbackTimeout: '1 second', pollInterval: '500 milliseconds' }),
      );
      const result = await handle.result();
      expect(result.requests).toHaveLength(1);
      // The request listed its first 100 and said so; the job has nothing of its own to add to them.
      expect(result.counts).toMatchObject({ total: FAILING + 1, activated: 1, failed: FAILING, skipped: 0 });
      expect(result.notActivated).toHaveLength(100);
      expect(result.notActivatedTruncated).toBe(true);

      const expected = [
        {
          outcome: 'failed',
          count: FAILING,
          reasons: [{ reason: 'activation Failed (from history): Bad SIM', count: FAILING }],
        },
      ];
      expect(result.notActivatedGroups).toEqual(expected);
      const reportRead = jest.spyOn(activation, 'report');
      expect(await notActivatedGroups(activation, await activation.liveProgress(jobId))).toEqual(expected);
      expect(reportRead).not.toHaveBeenCalled();
      expect(fixture.sim.admin.submissions()).toMatchObject({ totalSubmissions: FAILING + 1, resubmitted: [] });

      // A retry takes every failed device from the whole report, not the 100 the result lists.
      const retry = await activation.retry(jobId);
      await retry.handle.terminate('test over');
      expect(retry).toMatchObject({ started: true, devices: FAILING });
    });
  }, 60_000);
});
