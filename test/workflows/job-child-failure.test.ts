/**
 * The job workflow's failed-child path, on the dev server: Temporal's time-skipping test server does not tell a
 * parent that its child was terminated (see test/harness/time-skipping.ts), so this one runs on real time. The
 * test waits for the child through a long poll on the job's history, not by sleeping.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { activationJob } from '../../src/workflows/job.js';
import { callbacksSignal } from '../../src/workflows/request.js';
import { jobRequest, seedDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { nextChildStarted } from '../harness/history-wait.js';
import { connectTestClient, uniqueTaskQueue, withActivationWorkers, type TestTemporal } from '../harness/temporal.js';

let temporal: TestTemporal;
let fixture: ActivationFixture;
const seeds = [seedDevice(500), seedDevice(501)];
beforeAll(async () => {
  [temporal, fixture] = await Promise.all([connectTestClient(), startActivationFixture(seeds)]);
});
afterAll(async () => {
  await Promise.all([temporal?.close(), fixture?.close()]);
});

describe('activationJob when a request workflow fails', () => {
  it('reports its devices unresolved with the reason, and completes with everyone else’s results', async () => {
    const taskQueue = uniqueTaskQueue('job-child');
    const jobId = `job-child-failed-${Date.now()}`;
    const result = await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
      const handle = await temporal.client.workflow.start(activationJob, {
        taskQueue,
        workflowId: jobId,
        // One device per request; no callbacks are registered, so each request waits, long enough for the first
        // one to be terminated while waiting. The second one polls and settles.
        args: [
          jobRequest(jobId, seeds, {
            maxDevicesPerRequest: 1,
            callbackTimeout: '10 minutes',
          }),
        ],
      });
      const childId = await nextChildStarted(temporal, jobId);
      await temporal.client.workflow.getHandle(childId).terminate('test: the request fails');
      const second = await nextChildStarted(temporal, jobId, childId);
      await temporal.client.workflow.getHandle(second).signal(callbacksSignal, [
        {
          service: 'CarrierService',
          deviceIds: seeds[1]!.deviceIds,
          success: true,
          status: 'Success',
          assignedIds: [],
        },
      ]);
      return handle.result();
    });
    expect(result.phase).toBe('done');
    expect(result.counts).toMatchObject({ total: 2, activated: 1, unresolved: 1, pending: 0 });
    expect(result.requests.find((r) => r.failure)?.failure).toMatch(/terminated/i);
    expect(result.notActivated).toEqual([
      expect.objectContaining({ outcome: 'unresolved', reason: expect.stringMatching(/^request workflow .* ended: /) }),
    ]);
  });
});
