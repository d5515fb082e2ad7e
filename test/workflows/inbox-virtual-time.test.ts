/**
 * The callback inbox on virtual time (Temporal's time-skipping test server): an unclaimed inbox keeps its callbacks
 * for its default 3 days and then lets them go, and a request that starts a day after its callbacks came still gets
 * them. The webhook's signal-with-start is done here by the client, as the webhook does it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CallbackRecord } from '../../src/activation/model.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import { callbackInbox, inboxQuery, inboxWorkflowId } from '../../src/workflows/inbox.js';
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

function inbox(taskQueue: string, requestId: string) {
  return env.client.workflow.signalWithStart(callbackInbox, {
    taskQueue,
    workflowId: inboxWorkflowId(requestId),
    args: [{ requestId }],
    signal: callbacksSignal,
    signalArgs: [[callback]],
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
      const request = await env.client.workflow.start(activationRequest, {
        taskQueue,
        workflowId: requestWorkflowId(requestId),
        args: [
          {
            requestId,
            accountName: DEFAULT_ACCOUNT,
            submittedAt: new Date(await env.currentTimeMs()).toISOString(),
            devices: [{ key: deviceKey(device.deviceIds)!, deviceIds: device.deviceIds }],
          },
        ],
      });
      const result = await request.result();
      expect(result.counts).toMatchObject({ activated: 1, pending: 0 });
      expect(result.callbacks.applied).toBe(1);
      expect(await held.result()).toMatchObject({ claimedBy: requestWorkflowId(requestId), forwarded: 1 });
    });
  });
});
