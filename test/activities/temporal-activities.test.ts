/**
 * The activities that reach other workflows, each on its own in MockActivityEnvironment against the run's dev
 * server: findInboxes (how a request whose activate answer was lost learns its requestId) and the device claims
 * (one device, one submission across jobs). A worker runs only the workflows they talk to.
 */
import { describe, expect, it } from '@jest/globals';
import { msToNumber } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { HEARTBEAT_TIMEOUT } from '../../src/activation/activity-timing.js';
import type { CallbackRecord } from '../../src/activation/model.js';
import { createClaimActivities } from '../../src/activities/device-claims.js';
import { findInboxes } from '../../src/activities/find-inboxes.js';
import type {
  ClaimDevicesInput,
  ClaimDevicesResult,
  FindInboxesResult,
  ReleaseDevicesInput,
  ReleaseDevicesResult,
} from '../../src/activities/types.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import { callbackInbox, inboxQuery, inboxWorkflowId } from '../../src/workflows/inbox.js';
import { callbacksSignal } from '../../src/workflows/request.js';
import { seedDevice } from '../harness/activation.js';
import { uniqueTaskQueue, withWorker } from '../harness/temporal.js';
import { useTestTemporal } from '../harness/test-temporal.js';

const temporal = useTestTemporal();
const ref = (n: number) => {
  const { deviceIds } = seedDevice(n);
  return { key: deviceKey(deviceIds)!, deviceIds };
};
const carrier = (n: number): CallbackRecord => ({
  service: 'CarrierService',
  // As ThingSpace spells them: kinds in capitals, and only the IMEI.
  deviceIds: [{ kind: 'IMEI', id: seedDevice(n).deviceIds[0]!.id }],
  success: true,
  status: 'Success',
  assignedIds: [],
});

describe('findInboxes (MockActivityEnvironment, dev server)', () => {
  it('finds the unclaimed inbox whose callbacks name any of the devices, and no other (no late one)', async () => {
    const taskQueue = uniqueTaskQueue('find-inboxes');
    const ours = `lost-${Date.now()}`;
    const other = `other-${Date.now()}`;
    // Device 911's callback came after its request closed: that request is known, it can be no lost answer's.
    const late = `closed-${Date.now()}`;
    await withWorker(taskQueue, async () => {
      for (const [requestId, n, lateFor] of [
        [ours, 910, undefined],
        [other, 990, undefined],
        [late, 911, `thingspace-request-${late}`],
      ] as const) {
        const handle = await temporal.client.workflow.signalWithStart(callbackInbox, {
          taskQueue,
          workflowId: inboxWorkflowId(requestId),
          args: [{ requestId, ...(lateFor !== undefined && { lateFor }) }],
          signal: callbacksSignal,
          signalArgs: [[carrier(n)]],
        });
        await handle.query(inboxQuery); // it has run its first task
      }
      const env = new MockActivityEnvironment();
      const search = (): Promise<FindInboxesResult> =>
        env.run(findInboxes, temporal.client, { devices: [ref(909), ref(910), ref(911)] });
      // Visibility is eventually consistent: ask until the new inboxes are listed.
      const listed = async () => {
        const ids: string[] = [];
        for await (const e of temporal.client.workflow.list({ query: `WorkflowId = '${inboxWorkflowId(late)}'` }))
          ids.push(e.workflowId);
        return ids.length > 0;
      };
      for (let i = 0; i < 50 && !(await listed()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      let found = await search();
      for (let i = 0; i < 50 && !found.requestIds.includes(ours); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        found = await search();
      }
      expect(await listed()).toBe(true);
      expect(found.requestIds).toContain(ours);
      expect(found.requestIds).not.toContain(other);
      expect(found.requestIds).not.toContain(late);
      for (const id of [ours, other, late])
        await temporal.client.workflow.getHandle(inboxWorkflowId(id)).terminate('test over');
    });
  });
  it('skips an inbox that no worker answers, within its query deadline, and still finds the one that answers', async () => {
    const taskQueue = uniqueTaskQueue('find-inboxes-silent');
    // Nothing polls this queue: a query to the inbox started on it is never answered.
    const unserved = uniqueTaskQueue('find-inboxes-unserved');
    const ours = `lost-${Date.now()}`;
    const silent = `silent-${Date.now()}`;
    const start = (queue: string, requestId: string, n: number) =>
      temporal.client.workflow.signalWithStart(callbackInbox, {
        taskQueue: queue,
        workflowId: inboxWorkflowId(requestId),
        args: [{ requestId }],
        signal: callbacksSignal,
        signalArgs: [[carrier(n)]],
      });
    const queryTimeoutMs = 1_000;
    const listedIds = async () => {
      const ids: string[] = [];
      const query = `WorkflowId = '${inboxWorkflowId(ours)}' OR WorkflowId = '${inboxWorkflowId(silent)}'`;
      for await (const e of temporal.client.workflow.list({ query })) ids.push(e.workflowId);
      return ids;
    };
    try {
      await withWorker(taskQueue, async () => {
        await (await start(taskQueue, ours, 912)).query(inboxQuery);
        await start(unserved, silent, 913);
        for (let i = 0; i < 50 && (await listedIds()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
        expect(await listedIds()).toHaveLength(2);
        const env = new MockActivityEnvironment();
        const search = (): Promise<FindInboxesResult> =>
          env.run(findInboxes, temporal.client, { devices: [ref(912), ref(913)] }, queryTimeoutMs);
        const started = Date.now();
        let found = await search();
        // Not a speed measure: without its own deadline a query waits for the server's (30 s here), longer than the
        // activity's heartbeat timeout, so in a worker every attempt would time out on the same silent inbox.
        expect(Date.now() - started).toBeLessThan(msToNumber(HEARTBEAT_TIMEOUT));
        for (let i = 0; i < 20 && !found.requestIds.includes(ours); i++) found = await search();
        // The silent inbox names device 913 too, but what it holds cannot be read: only ours is found.
        expect(found.requestIds).toEqual([ours]);
      });
    } finally {
      // An open inbox no worker serves would cost every other test's search its query deadline.
      for (const id of [ours, silent])
        await temporal.client.workflow
          .getHandle(inboxWorkflowId(id))
          .terminate('test over')
          .catch(() => undefined);
    }
  });
});

describe('claimDevices / releaseDevices (MockActivityEnvironment, dev server)', () => {
  it('gives each key to one job, is idempotent for that job, and frees what is released', async () => {
    const taskQueue = uniqueTaskQueue('claims');
    const { claimDevices, releaseDevices } = createClaimActivities(temporal.client, {
      taskQueue,
      coordinatorIdSuffix: taskQueue,
    });
    const env = new MockActivityEnvironment();
    const claim = (input: ClaimDevicesInput): Promise<ClaimDevicesResult> => env.run(claimDevices, input);
    const release = (input: ReleaseDevicesInput): Promise<ReleaseDevicesResult> => env.run(releaseDevices, input);
    const keys = Array.from({ length: 30 }, (_, i) => ref(920 + i).key);
    const until = Date.now() + 3_600_000;
    await withWorker(taskQueue, async () => {
      const account = 'claims-account';
      const a = await claim({ accountName: account, jobId: 'job-a', keys: keys.slice(0, 20), until });
      expect(a.taken).toEqual([]);
      const b = await claim({ accountName: account, jobId: 'job-b', keys: keys.slice(10), until });
      expect(b.taken).toEqual(Array.from({ length: 10 }, (_, index) => ({ index, jobId: 'job-a' })));
      // A retried claim (activity retry) is granted the same keys again.
      expect((await claim({ accountName: account, jobId: 'job-a', keys, until })).taken).toEqual(
        Array.from({ length: 10 }, (_, i) => ({ index: 20 + i, jobId: 'job-b' })),
      );
      expect((await release({ accountName: account, jobId: 'job-a' })).released).toBe(20);
      const again = await claim({ accountName: account, jobId: 'job-b', keys, until });
      expect(again.taken).toEqual([]);
    });
  });
});
