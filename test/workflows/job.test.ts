import { afterAll, describe, expect, it } from '@jest/globals';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { INVALID_JOB_REQUEST } from '../../src/activities/validate-job.js';
import { activationJob, jobProgressQuery, jobReportQuery } from '../../src/workflows/job.js';
import type { activationRequest } from '../../src/workflows/request.js';
import { REPORT_PAGE_LIMIT, requestReportQuery } from '../../src/workflows/request.js';
import {
  DEFAULT_ACCOUNT,
  jobRequest,
  seedDevice,
  startActivationFixture,
  type ActivationFixture,
} from '../harness/activation.js';
import { uniqueTaskQueue, withActivationWorkers } from '../harness/temporal.js';
import { useTestTemporal } from '../harness/test-temporal.js';
import { ActivationClient } from '../../src/client.js';
import { recordHistory } from '../harness/histories.js';
import { nextChildStarted, nextEvent } from '../harness/history-wait.js';

const temporal = useTestTemporal();

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
        args: [jobRequest(jobId, devices, FAST_POLLING)],
      });
      const result = await handle.result();
      const skipped = await handle.query(jobReportQuery, { offset: 0, limit: 100 });
      const request = temporal.client.workflow.getHandle<typeof activationRequest>(result.requests[0]!.workflowId);
      const inRequest = await request.query(requestReportQuery, { offset: 0, limit: 100 });
      await recordHistory(jobId, 'job-publishes-progress');
      await recordHistory(result.requests[0]!.workflowId, 'request-polled-publishes-progress');
      return { result, report: [...skipped, ...inRequest] };
    });

    expect(result.phase).toBe('done');
    expect(result.counts).toEqual({
      total: 6,
      activated: 2,
      failed: 1,
      skipped: 3,
      unresolved: 0,
      unconfirmed: 0,
      pending: 0,
    });
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

  it('submits every device exactly once through a 429 storm and an ambiguous failure', async () => {
    const devices = Array.from({ length: 6 }, (_, i) => seedDevice(100 + i));
    const local = await startActivationFixture(devices);
    try {
      // Three "not now" answers, then one request that ThingSpace processes but answers with a 500.
      local.sim.admin.scheduleFault({ kind: '429', route: 'activate', count: 3 });
      local.sim.admin.scheduleFault({ kind: 'ambiguous-500', route: 'activate', count: 1 });
      const taskQueue = uniqueTaskQueue('job');
      const jobId = `job-storm-${Date.now()}`;
      const result = await withActivationWorkers(taskQueue, local.thingspace, async () => {
        const handle = await temporal.client.workflow.start(activationJob, {
          taskQueue,
          workflowId: jobId,
          args: [
            jobRequest(jobId, devices, {
              ...FAST_POLLING,
              maxDevicesPerRequest: 2,
              ambiguousRecheckDelay: '500 milliseconds',
            }),
          ],
        });
        const result = await handle.result();
        await recordHistory(jobId, 'job-storm-lost-answer');
        // The same job after the 'history-share' patch: its requests carry jobDevices.
        await recordHistory(jobId, 'job-storm-history-share');
        const unknown = result.requests.find((r) => !r.requestIdKnown);
        if (unknown) await recordHistory(unknown.workflowId, 'request-lost-answer-polled');
        return result;
      });
      expect(result.counts).toMatchObject({ total: 6, activated: 6, pending: 0 });
      expect(result.requests).toHaveLength(3);
      expect(result.requests.filter((r) => !r.requestIdKnown)).toHaveLength(1);
      const submissions = local.sim.admin.submissions();
      expect(submissions.resubmitted).toEqual([]);
      expect(submissions.totalSubmissions).toBe(6);
    } finally {
      await local.close();
    }
  });

  it('cuts 25,000 devices into 3 parts of one request each and reports all 25,000 through the client', async () => {
    const devices = Array.from({ length: 25_000 }, (_, i) => seedDevice(10_000 + i));
    const local = await startActivationFixture(devices, { listPageSize: 5_000 });
    try {
      const taskQueue = uniqueTaskQueue('job');
      const jobId = `job-25k-${Date.now()}`;
      // Counts the queries each workflow gets, by type: a query on a closed workflow replays its whole history.
      const queries = new Map<string, number>();
      const counting = new Client({
        connection: temporal.connection,
        namespace: temporal.client.options.namespace,
        dataConverter: temporal.client.options.dataConverter,
        interceptors: {
          workflow: [
            {
              query: (input, next) => {
                const key = `${input.queryType} ${input.workflowExecution.workflowId}`;
                queries.set(key, (queries.get(key) ?? 0) + 1);
                return next(input);
              },
            },
          ],
        },
      });
      const activation = new ActivationClient(counting, taskQueue);
      const { rows, pageSizes, requests } = await withActivationWorkers(taskQueue, local.thingspace, async () => {
        const { handle } = await activation.startJob(jobRequest(jobId, devices, FAST_POLLING));
        const result = await handle.result();
        // Over 10,000 devices the client stores the list and the job runs it in parts.
        expect(result.parts?.map((p) => p.devices)).toEqual([10_000, 10_000, 5_000]);
        expect(result.counts).toMatchObject({ total: 25_000, activated: 25_000 });
        const rows = [];
        const pageSizes: number[] = [];
        for await (const page of activation.report(jobId)) {
          rows.push(...page);
          pageSizes.push(page.length);
        }
        const requests = [];
        for (const part of result.parts ?? []) requests.push(...(await activation.progress(part.jobId)).requests);
        // A completed job's progress, read from its result, is its progress alone, as the query answers it.
        expect(Object.keys(await activation.progress(jobId)).sort()).toEqual(
          Object.keys(await temporal.client.workflow.getHandle(jobId).query(jobProgressQuery)).sort(),
        );
        return { rows, pageSizes, requests };
      });
      // Pages of 500 as before, but each request's 10,000 (or 5,000) devices read in 2 (or 1) queries, not 20 (10).
      expect(Math.max(...pageSizes)).toBe(REPORT_PAGE_LIMIT);
      expect(requests.map((r) => r.devices)).toEqual([10_000, 10_000, 5_000]);
      expect(requests.map(({ workflowId }) => queries.get(`report ${workflowId}`))).toEqual([2, 2, 1]);
      // The parts answer one report query each (the devices they settled themselves: none); their progress and the
      // parent's, once they completed, come from their results.
      for (const part of [1, 2, 3]) expect(queries.get(`report ${jobId}~part-${part}`)).toBe(1);
      expect([...queries.keys()].filter((key) => key.startsWith('progress '))).toEqual([]);
      expect(rows).toHaveLength(25_000);
      expect(new Set(rows.map((r) => r.key)).size).toBe(25_000);
      expect(rows.every((r) => r.outcome === 'activated')).toBe(true);
      expect(local.sim.admin.submissions().totalSubmissions).toBe(25_000);
    } finally {
      await local.close();
    }
  }, 180_000);

  it('finishes with the same report when the workers stop and restart while a request waits', async () => {
    const devices = [
      seedDevice(200),
      seedDevice(201),
      seedDevice(202, { outcome: { activation: 'failure', reason: 'No SIM' } }),
    ];
    const local = await startActivationFixture(devices);
    try {
      const taskQueue = uniqueTaskQueue('job');
      const jobId = `job-restart-${Date.now()}`;
      const activation = new ActivationClient(temporal.client, taskQueue);
      const { handle } = await withActivationWorkers(taskQueue, local.thingspace, async () => {
        const started = await activation.startJob(
          jobRequest(jobId, devices, { ...FAST_POLLING, callbackTimeout: '3 seconds' }),
        );
        // Stop the workers once the request workflow is waiting for callbacks (its callback timer is set).
        const requestWorkflowId = await nextChildStarted(temporal, jobId);
        await nextEvent(temporal, requestWorkflowId, (event) => Boolean(event.timerStartedEventAttributes));
        return started;
      });
      expect((await handle.describe()).status.name).toBe('RUNNING');

      const result = await withActivationWorkers(taskQueue, local.thingspace, () => handle.result());
      expect(result.counts).toEqual({
        total: 3,
        activated: 2,
        failed: 1,
        skipped: 0,
        unresolved: 0,
        unconfirmed: 0,
        pending: 0,
      });
      expect(result.notActivated).toEqual([
        expect.objectContaining({ key: 'imei:350000000000202', outcome: 'failed' }),
      ]);
      expect(local.sim.admin.submissions()).toMatchObject({ totalSubmissions: 3, resubmitted: [] });
    } finally {
      await local.close();
    }
  });

  it('stops submitting when cancelled and reports what was submitted', async () => {
    const devices = Array.from({ length: 6 }, (_, i) => seedDevice(300 + i));
    const local = await startActivationFixture(devices);
    try {
      const taskQueue = uniqueTaskQueue('job');
      const jobId = `job-cancel-${Date.now()}`;
      const activation = new ActivationClient(temporal.client, taskQueue);
      const result = await withActivationWorkers(
        taskQueue,
        local.thingspace,
        async () => {
          const { handle } = await activation.startJob(
            jobRequest(jobId, devices, { ...FAST_POLLING, maxDevicesPerRequest: 2 }),
          );
          await nextChildStarted(temporal, jobId);
          await activation.cancel(jobId);
          return handle.result();
        },
        // One activate call every 6 seconds, so the job is still submitting when it is cancelled.
        { activateRequestsPerMinute: 10 },
      );
      expect(result.phase).toBe('cancelled');
      const submitted = result.requests.reduce((sum, r) => sum + r.devices, 0);
      expect(submitted).toBeGreaterThan(0);
      expect(submitted).toBeLessThan(6);
      expect(result.counts.skipped).toBe(6 - submitted);
      expect(result.notActivated.filter((r) => r.reason === 'job cancelled before submission')).toHaveLength(
        6 - submitted,
      );
      expect(local.sim.admin.submissions().totalSubmissions).toBe(submitted);
    } finally {
      await local.close();
    }
  });
});
