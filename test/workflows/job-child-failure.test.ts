/**
 * The job workflow's failed-child path, on the dev server: Temporal's time-skipping test server does not tell a
 * parent that its child was terminated (see test/harness/time-skipping.ts), so this one runs on real time. The
 * test waits for the child through a long poll on the job's history, not by sleeping.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { ChildWorkflowFailure, TerminatedFailure } from '@temporalio/common';
import { activationJob } from '../../src/workflows/job.js';
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
  it('fails the job with the child failure (here: the request workflow terminated)', async () => {
    const taskQueue = uniqueTaskQueue('job-child');
    const jobId = `job-child-failed-${Date.now()}`;
    const error = await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
      const handle = await temporal.client.workflow.start(activationJob, {
        taskQueue,
        workflowId: jobId,
        // No callbacks are registered: the request waits for them, long enough to be terminated while waiting.
        args: [jobRequest(jobId, seeds, { callbackTimeout: '10 minutes' })],
      });
      const childId = await nextChildStarted(temporal, jobId);
      await temporal.client.workflow.getHandle(childId).terminate('test: the request fails');
      return handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
    });
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ChildWorkflowFailure);
    expect(cause?.cause).toBeInstanceOf(TerminatedFailure);
  });
});
