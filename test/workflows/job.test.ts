import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { INVALID_JOB_REQUEST } from '../../src/activities/validate-job.js';
import { activationJob, jobReportQuery } from '../../src/workflows/job.js';
import type { activationRequest } from '../../src/workflows/request.js';
import { requestReportQuery } from '../../src/workflows/request.js';
import {
  ACTIVATION,
  DEFAULT_ACCOUNT,
  jobDevice,
  seedDevice,
  startActivationFixture,
  type ActivationFixture,
} from '../harness/activation.js';
import { connectTestClient, uniqueTaskQueue, withActivationWorkers, type TestTemporal } from '../harness/temporal.js';

let temporal: TestTemporal;
beforeAll(async () => {
  temporal = await connectTestClient();
});
afterAll(async () => {
  await temporal.close();
});

const FAST_POLLING = { callbackTimeout: '1 second', pollInterval: '500 milliseconds', pollDeadline: '30 seconds' };

describe('activationJob (dev server, simulator, real workers)', () => {
  let fixture: ActivationFixture | undefined;
  afterAll(async () => {
    await fixture?.close();
  });

  it('classifies, activates and reports every device; with no callbacks the polling fallback settles them', async () => {
    const devices = [
      seedDevice(1),
      seedDevice(2, { state: 'deactive' }),
      seedDevice(3, { outcome: { activation: 'failure', reason: 'Device not eligible for plan' } }),
      seedDevice(4, { state: 'active' }),
      seedDevice(5, { inAccount: false }),
      seedDevice(6, { state: 'suspend' }),
    ];
    fixture = await startActivationFixture(devices);
    const { thingspace, sim } = fixture;
    const taskQueue = uniqueTaskQueue('job');
    const jobId = `job-mixed-${Date.now()}`;

    const { result, report } = await withActivationWorkers(taskQueue, thingspace, async () => {
      const handle = await temporal.client.workflow.start(activationJob, {
        taskQueue,
        workflowId: jobId,
        args: [
          {
            jobId,
            accountName: DEFAULT_ACCOUNT,
            activation: ACTIVATION,
            devices: devices.map(jobDevice),
            options: FAST_POLLING,
          },
        ],
      });
      const result = await handle.result();
      const skipped = await handle.query(jobReportQuery, { offset: 0, limit: 100 });
      const request = temporal.client.workflow.getHandle<typeof activationRequest>(result.requests[0]!.workflowId);
      const inRequest = await request.query(requestReportQuery, { offset: 0, limit: 100 });
      return { result, report: [...skipped, ...inRequest] };
    });

    expect(result.phase).toBe('done');
    expect(result.counts).toEqual({ total: 6, activated: 2, failed: 1, skipped: 3, unresolved: 0, pending: 0 });
    expect(result.requests).toHaveLength(1);
    expect(result.requests[0]).toMatchObject({ devices: 3, requestIdKnown: true });

    const byImei = new Map(report.map((r) => [r.key, r]));
    expect(byImei.get('imei:350000000000001')).toMatchObject({ outcome: 'activated', source: 'poll', state: 'active' });
    expect(byImei.get('imei:350000000000001')?.assignedIds.map((id) => id.kind.toLowerCase())).toContain('mdn');
    expect(byImei.get('imei:350000000000002')).toMatchObject({ outcome: 'activated' });
    expect(byImei.get('imei:350000000000003')).toMatchObject({ outcome: 'failed', source: 'poll' });
    expect(byImei.get('imei:350000000000003')?.reason).toMatch(/Device not eligible for plan/);
    expect(byImei.get('imei:350000000000004')).toMatchObject({ outcome: 'skipped', reason: 'already active' });
    expect(byImei.get('imei:350000000000005')).toMatchObject({ outcome: 'skipped', reason: 'not in account' });
    expect(byImei.get('imei:350000000000006')).toMatchObject({
      outcome: 'skipped',
      reason: 'ineligible state: suspend',
    });

    // The simulator's own count: each ready device was sent exactly once, the skipped ones never.
    const submissions = sim.admin.submissions();
    expect(submissions.totalSubmissions).toBe(3);
    expect(submissions.resubmitted).toEqual([]);
  });

  it('fails at once, naming every bad field, when the request is invalid', async () => {
    const taskQueue = uniqueTaskQueue('job');
    fixture ??= await startActivationFixture([seedDevice(1)]);
    const jobId = `job-invalid-${Date.now()}`;
    const error = await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
      const handle = await temporal.client.workflow.start('activationJob', {
        taskQueue,
        workflowId: jobId,
        args: [
          {
            jobId,
            accountName: DEFAULT_ACCOUNT,
            activation: { servicePlan: 'x', mdnZipCode: '123', costCenterCode: 'a'.repeat(37) },
            devices: [{ deviceIds: [{ kind: 'IMEI', id: '12345678901234567' }] }],
          },
        ],
      });
      return handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
    });
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(INVALID_JOB_REQUEST);
    expect((cause as ApplicationFailure).nonRetryable).toBe(true);
    expect(cause?.message).toContain('activation.mdnZipCode: mdnZipCode must be 5 decimal digits');
    expect(cause?.message).toContain('activation.costCenterCode: costCenterCode must be at most 36 characters');
    expect(cause?.message).toContain('devices[0].deviceIds[0].id: imei must be 1-16 decimal digits');
  });
});
