/**
 * The callback inbox on virtual time (Temporal's time-skipping test server): an unclaimed inbox keeps its callbacks
 * for its default 3 days and then lets them go, a request that starts a day after its callbacks came still gets
 * them, and a late inbox keeps what came after its request closed. The webhook's signal-with-start is done here by
 * the client, as the webhook does it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CallbackRecord } from '../../src/activation/model.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import { callbackInbox, claimInboxSignal, inboxQuery, inboxWorkflowId } from '../../src/workflows/inbox.js';
import { activationRequest, callbacksSignal, requestWorkflowId } from '../../src/workflows/request.js';
import { DEFAULT_ACCOUNT, seedDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { uniqueTaskQueue } from '../harness/temporal.js';
import { startTimeSkipping, withTimeSkippingWorkers } from '../harness/time-skipping.js';

const HOUR = 3_600_000;

let env: TestWorkflowEnvironment;
let fixture: ActivationFixture;
const device = seedDevice(1);

beforeAll(async () => {
  [env, fixture] = await Promise.all([startTimeSkipping(), startActivationFixture([device])]);
}, 180_000);
afterAll(async () => {
  await Promise.all([env?.teardown(), fixture?.close()]);
});

const callback: CallbackRecord = {
  service: 'CarrierService',
  deviceIds: device.deviceIds,
  success: true,
  status: 'Success',
  assignedIds: [{ kind: 'mdn', id: '5095550100' }],
};

function inbox(taskQueue: string, requestId: string, lateFor?: string, records: CallbackRecord[] = [callback]) {
  return env.client.workflow.signalWithStart(callbackInbox, {
    taskQueue,
    workflowId: inboxWorkflowId(requestId),
    args: [{ requestId, ...(lateFor !== undefined && { lateFor }) }],
    signal: callbacksSignal,
    signalArgs: [records],
  });
}

function startRequest(taskQueue: string, requestId: string, submittedAt: number) {
  return env.client.workflow.start(activationRequest, {
    taskQueue,
    workflowId: requestWorkflowId(requestId),
    args: [
      {
        requestId,
        accountName: DEFAULT_ACCOUNT,
        submittedAt: new Date(submittedAt).toISOString(),
        devices: [{ key: deviceKey(device.deviceIds)!, deviceIds: device.deviceIds }],
      },
    ],
  });
}

describe('callback inbox on virtual time', () => {
  it('keeps unclaimed callbacks for 3 days, then lets them go, listing them in its result', async () => {
    const taskQueue = uniqueTaskQueue('inbox-vt');
    await withTimeSkippingWorkers(env, taskQueue, fixture.thingspace, async () => {
      const started = await env.currentTimeMs();
      const handle = await inbox(taskQueue, `unclaimed-${Date.now()}`);
      await env.sleep(71 * HOUR);
      expect(await handle.query(inboxQuery)).toMatchObject({ received: 1, held: 1 });
      const result = await handle.result();
      expect(result).toMatchObject({ received: 1, forwarded: 0, unclaimedCount: 1 });
      expect(result.unclaimed).toEqual([callback]);
      const lived = (await env.currentTimeMs()) - started;
      expect(lived).toBeGreaterThanOrEqual(72 * HOUR);
      expect(lived).toBeLessThan(73 * HOUR);
    });
  });

  it('hands callbacks that came a day before their request to it when it starts', async () => {
    const taskQueue = uniqueTaskQueue('inbox-vt');
    await withTimeSkippingWorkers(env, taskQueue, fixture.thingspace, async () => {
      const requestId = `late-start-${Date.now()}`;
      const held = await inbox(taskQueue, requestId);
      await env.sleep(24 * HOUR);
      const request = await startRequest(taskQueue, requestId, await env.currentTimeMs());
      const result = await request.result();
      expect(result.counts).toMatchObject({ activated: 1, pending: 0 });
      expect(result.callbacks.applied).toBe(1);
      expect(await held.result()).toMatchObject({ claimedBy: requestWorkflowId(requestId), forwarded: 1 });
    });
  });

  it('keeps callbacks that came after their request closed for 3 days, forwarding them to nobody', async () => {
    const taskQueue = uniqueTaskQueue('inbox-vt');
    await withTimeSkippingWorkers(env, taskQueue, fixture.thingspace, async () => {
      const requestId = `closed-${Date.now()}`;
      // A request that ended on its deadline with its device unresolved (ThingSpace was slower than the caller's
      // windows allowed), then the device's result, a day late.
      const request = await env.client.workflow.start(activationRequest, {
        taskQueue,
        workflowId: requestWorkflowId(requestId),
        args: [
          {
            requestId,
            accountName: DEFAULT_ACCOUNT,
            submittedAt: new Date(await env.currentTimeMs()).toISOString(),
            devices: [{ key: deviceKey(device.deviceIds)!, deviceIds: device.deviceIds }],
            callbackTimeout: '1 hour',
            pollDeadline: '1 hour',
            pollInterval: '30 minutes',
          },
        ],
      });
      const closed = await request.result();
      expect(closed.counts).toMatchObject({ unresolved: 1 });
      await env.sleep(24 * HOUR);
      const resend = { ...callback, callbackCount: 2 };
      const late = await inbox(taskQueue, requestId, request.workflowId);
      await inbox(taskQueue, requestId, request.workflowId, [resend]);
      // Nobody may take it: not a new request with this ID (it cannot start), not a lost answer's search.
      await late.signal(claimInboxSignal, { workflowId: 'thingspace-request-someone-else' });
      await env.sleep(71 * HOUR);
      const view = await late.query(inboxQuery);
      expect(view).toMatchObject({ lateFor: request.workflowId, received: 2, forwarded: 0, held: 2 });
      expect(view.claimedBy).toBeUndefined();
      const result = await late.result();
      expect(result).toMatchObject({ lateFor: request.workflowId, received: 2, forwarded: 0, unclaimedCount: 2 });
      expect(result.unclaimed).toEqual([callback, resend]);
      const { status } = await late.describe();
      expect(status.name).toBe('COMPLETED');
    });
  });
});
