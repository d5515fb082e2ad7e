import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CallbackRecord, ExpectedDevice, RequestWorkflowInput } from '../../src/activation/model.js';
import { ActivationPhase, ThingSpaceAccount } from '../../src/search-attributes.js';
import {
  activationRequest,
  callbacksSignal,
  requestProgressQuery,
  requestReportQuery,
  requestWorkflowId,
} from '../../src/workflows/request.js';
import { DEFAULT_ACCOUNT, startActivationFixture } from '../harness/activation.js';
import { recordHistory } from '../harness/histories.js';
import { readPublishedProgress } from '../../src/activation/progress-memo.js';
import { nextEvent } from '../harness/history-wait.js';
import {
  connectTestClient,
  uniqueTaskQueue,
  withActivationWorkers,
  withWorker,
  type TestTemporal,
} from '../harness/temporal.js';

let temporal: TestTemporal;

/** Starts a request workflow with the account and submission time every test uses. */
function startRequest(
  taskQueue: string,
  requestId: string,
  input: Omit<RequestWorkflowInput, 'requestId' | 'accountName' | 'submittedAt'>,
) {
  return temporal.client.workflow.start(activationRequest, {
    taskQueue,
    workflowId: requestWorkflowId(requestId),
    args: [{ requestId, accountName: DEFAULT_ACCOUNT, submittedAt: new Date().toISOString(), ...input }],
  });
}
beforeAll(async () => {
  temporal = await connectTestClient();
});
afterAll(async () => {
  await temporal.close();
});

const devices: ExpectedDevice[] = [
  {
    key: 'imei:990013907835573',
    deviceIds: [
      { kind: 'imei', id: '990013907835573' },
      { kind: 'iccid', id: '89141390780800784259' },
    ],
  },
  {
    key: 'imei:990013907884259',
    deviceIds: [
      { kind: 'imei', id: '990013907884259' },
      { kind: 'iccid', id: '89141390780800735573' },
    ],
  },
  { key: 'imei:9996201900000000000345', deviceIds: [{ kind: 'imei', id: '9996201900000000000345' }], nbIot: true },
];

const success = (imei: string, mdn: string): CallbackRecord => ({
  service: 'CarrierService',
  deviceIds: [{ kind: 'IMEI', id: imei }],
  success: true,
  status: 'Success',
  assignedIds: [{ kind: 'mdn', id: mdn }],
  ipAddress: '10.224.48.88',
  state: 'Active',
  servicePlan: 'the service plan name',
});

describe('activationRequest workflow (real dev server and worker)', () => {
  it('settles every device from batched callbacks, ignores resends, and reports page by page', async () => {
    const requestId = `req-${Date.now()}-mixed`;
    const taskQueue = uniqueTaskQueue();
    const result = await withWorker(taskQueue, async () => {
      const handle = await startRequest(taskQueue, requestId, { devices, callbackTimeout: '1 minute' });
      await handle.signal(callbacksSignal, [
        success('990013907835573', '5096306081'),
        success('990013907835573', '5096306081'),
        {
          service: 'CarrierService',
          deviceIds: [{ kind: 'imei', id: '990013907884259' }],
          success: false,
          status: 'Failed',
          reason: 'Device not eligible',
          assignedIds: [],
        },
      ]);
      const midway = await handle.query(requestProgressQuery);
      expect(midway.counts).toMatchObject({ activated: 1, failed: 1, pending: 1 });
      // Published as it changes, for readers that must not replay the request (ActivationClient.liveProgress).
      expect(readPublishedProgress((await handle.describe()).memo)).toEqual({
        phase: midway.phase,
        counts: midway.counts,
        notActivatedGroups: midway.notActivatedGroups,
      });
      await handle.signal(callbacksSignal, [
        success('9996201900000000000345', '5550000001'),
        {
          service: 'NiddService',
          deviceIds: [
            { kind: 'EID', id: '9996' },
            { kind: 'IMEI', id: '9996201900000000000345' },
          ],
          success: true,
          status: 'ConfigCreated',
          assignedIds: [],
        },
        {
          service: 'CarrierService',
          deviceIds: [{ kind: 'imei', id: '123' }],
          success: true,
          status: 'Success',
          assignedIds: [],
        },
      ]);
      const result = await handle.result();
      await recordHistory(handle.workflowId, 'request-publishes-progress');
      const report = await handle.query(requestReportQuery, { offset: 1, limit: 5 });
      expect(report.map((r) => [r.key, r.outcome])).toEqual([
        ['imei:990013907884259', 'failed'],
        ['imei:9996201900000000000345', 'activated'],
      ]);
      return result;
    });

    expect(result.counts).toEqual({
      total: 3,
      activated: 2,
      failed: 1,
      skipped: 0,
      unresolved: 0,
      unconfirmed: 0,
      pending: 0,
    });
    expect(result.callbacks).toEqual({ applied: 4, duplicates: 1, unknown: 1, late: 0, signals: 2 });
    expect(result.notActivated).toEqual([
      expect.objectContaining({ key: 'imei:990013907884259', reason: 'Device not eligible', source: 'callback' }),
    ]);

    // The custom search attributes are filterable, as in the Web UI.
    const query = `${ThingSpaceAccount.name} = '0868924207-00001' AND ${ActivationPhase.name} = 'done' AND WorkflowId = '${requestWorkflowId(requestId)}'`;
    let found = 0;
    for (let attempt = 0; attempt < 50 && found === 0; attempt++) {
      found = (await temporal.client.workflow.count(query)).count;
      if (found === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toBe(1);
  });

  it('keeps a request open for the NIDD result of an NB-IoT device whose line failed', async () => {
    const requestId = `req-${Date.now()}-nidd-awaited`;
    const taskQueue = uniqueTaskQueue();
    const nbIot = devices[2]!;
    const { result, waiting } = await withWorker(taskQueue, async () => {
      const handle = await startRequest(taskQueue, requestId, {
        devices: [devices[0]!, nbIot],
        callbackTimeout: '1 minute',
      });
      await handle.signal(callbacksSignal, [
        success('990013907835573', '5096306081'),
        {
          service: 'CarrierService',
          deviceIds: nbIot.deviceIds,
          success: false,
          status: 'Failed',
          reason: 'Device is suspended',
          assignedIds: [],
        },
      ]);
      // The signal is applied in the next workflow task: ask until it shows.
      let waiting = await handle.query(requestProgressQuery);
      for (let attempt = 0; attempt < 50 && waiting.counts.pending > 0; attempt++) {
        await new Promise((r) => setTimeout(r, 100));
        waiting = await handle.query(requestProgressQuery);
      }
      await handle.signal(callbacksSignal, [
        {
          service: 'NiddService',
          deviceIds: nbIot.deviceIds,
          success: false,
          status: 'ConfigFailed',
          reason: 'Device activation failed',
          assignedIds: [],
        },
      ]);
      const result = await handle.result();
      await recordHistory(handle.workflowId, 'request-nidd-awaited');
      return { result, waiting };
    });
    expect(waiting).toMatchObject({ phase: 'awaiting-callbacks', awaitingNidd: 1 });
    expect(waiting.counts).toMatchObject({ activated: 1, failed: 1, pending: 0 });
    expect(result.callbacks).toMatchObject({ applied: 3, late: 0 });
    expect(result.notActivated).toEqual([
      expect.objectContaining({
        key: nbIot.key,
        outcome: 'failed',
        nidd: 'failed',
        niddReason: 'Device activation failed',
      }),
    ]);
  });

  it('polls after the callback timeout, and reports what polling cannot settle as unresolved', async () => {
    const requestId = `req-${Date.now()}-timeout`;
    const taskQueue = uniqueTaskQueue();
    const fixture = await startActivationFixture([]);
    try {
      const result = await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
        const handle = await startRequest(taskQueue, requestId, {
          devices: devices.slice(0, 2),
          callbackTimeout: '1 second',
          pollInterval: '300 milliseconds',
          pollDeadline: '2 seconds',
        });
        await handle.signal(callbacksSignal, [success('990013907835573', '5096306081')]);
        return handle.result();
      });
      expect(result.phase).toBe('done');
      expect(result.counts).toMatchObject({ activated: 1, unresolved: 1, pending: 0 });
      expect(result.notActivated[0]).toMatchObject({ key: 'imei:990013907884259', outcome: 'unresolved' });
      expect(result.notActivated[0]?.reason).toMatch(/poll deadline/);
    } finally {
      await fixture.close();
    }
  });

  it('continues as new when callbacks trickle in one signal at a time, losing nothing', async () => {
    const requestId = `req-${Date.now()}-trickle`;
    const taskQueue = uniqueTaskQueue();
    const many: ExpectedDevice[] = Array.from({ length: 60 }, (_, n) => {
      const imei = `35123400000${String(n).padStart(4, '0')}`;
      return { key: `imei:${imei}`, deviceIds: [{ kind: 'imei', id: imei }] };
    });
    const result = await withWorker(taskQueue, async () => {
      const handle = await startRequest(taskQueue, requestId, {
        devices: many,
        callbackTimeout: '5 minutes',
        historyLimit: 40,
      });
      // All but the last device: the request stays open while its history grows past the limit.
      for (const [n, device] of many.slice(0, -1).entries()) {
        const imei = device.deviceIds[0]!.id;
        await handle.signal(callbacksSignal, [success(imei, `50900${n}`)]);
        if (n % 20 === 0) await handle.signal(callbacksSignal, [success(imei, `50900${n}`)]);
      }
      // The run that took those signals has handed over to a new one (runs share the workflow ID).
      await nextEvent(
        temporal,
        handle.workflowId,
        (event) => Boolean(event.workflowExecutionContinuedAsNewEventAttributes),
        handle.firstExecutionRunId,
      );
      expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
      await handle.signal(callbacksSignal, [success(many.at(-1)!.deviceIds[0]!.id, '5090059')]);
      return handle.result();
    });
    expect(result.counts).toMatchObject({ total: 60, activated: 60, pending: 0 });
    expect(result.callbacks).toMatchObject({ applied: 60, duplicates: 3, signals: 63 });
  });

  it('waits 12 hours for callbacks by default (the timer recorded in history)', async () => {
    const requestId = `req-${Date.now()}-default`;
    const taskQueue = uniqueTaskQueue();
    await withWorker(taskQueue, async () => {
      const handle = await startRequest(taskQueue, requestId, { devices: devices.slice(0, 1) });
      await handle.query(requestProgressQuery); // the first workflow task has run once a query is answered
      const history = await handle.fetchHistory();
      const timer = history.events?.find((event) => event.timerStartedEventAttributes);
      expect(Number(timer?.timerStartedEventAttributes?.startToFireTimeout?.seconds)).toBe(12 * 60 * 60);
      await handle.terminate('test over');
    });
  });
});
