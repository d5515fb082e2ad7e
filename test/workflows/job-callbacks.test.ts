import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { DeviceReport } from '../../src/activation/model.js';
import { ActivationClient } from '../../src/client.js';
import {
  nbIotDevice,
  jobRequest,
  seedDevice,
  startActivationFixture,
  type ActivationFixture,
} from '../harness/activation.js';
import { connectTestClient, uniqueTaskQueue, withActivationWorkers, type TestTemporal } from '../harness/temporal.js';
import { registerCallbacks } from '../../src/cli/register-callbacks.js';
import { notActivatedGroups } from '../../src/cli/jobs.js';
import { eventually } from '../harness/eventually.js';
import { withQueriedIds } from '../harness/queried.js';
import { inboxWorkflowId } from '../../src/workflows/inbox-id.js';
import { LISTENER, startWebhook, type RunningWebhook } from '../webhook/fixtures.js';

let temporal: TestTemporal;
let fixture: ActivationFixture;
let webhook: RunningWebhook;

const seeds = [
  seedDevice(800),
  seedDevice(801, { state: 'deactive' }),
  seedDevice(802, { outcome: { activation: 'failure', reason: 'Invalid ICCID' } }),
  nbIotDevice(803, { outcome: { nidd: 'success' } }),
  nbIotDevice(804, { outcome: { nidd: 'failure', niddReason: 'Not CatM or NBIoT Device' } }),
  seedDevice(805, { state: 'active' }),
  seedDevice(806, { inAccount: false }),
  seedDevice(807, { state: 'suspend' }),
];
/** For the job watched while it runs: one device's callback never comes, so the job waits on it. */
const running = [
  seedDevice(820),
  seedDevice(821, { outcome: { activation: 'failure', reason: 'Invalid ICCID' } }),
  seedDevice(822, { outcome: { activation: 'failure', reason: 'Invalid ICCID' } }),
  seedDevice(823, { outcome: { dropCallback: true } }),
  seedDevice(824, { state: 'active' }),
];

beforeAll(async () => {
  temporal = await connectTestClient();
  fixture = await startActivationFixture([...seeds, ...running], { outcomes: { duplicateRate: 0.5, reorder: true } });
  webhook = await startWebhook({ client: temporal.client });
  await registerCallbacks(fixture.thingspace, { url: webhook.url, credentials: LISTENER });
});
afterAll(async () => {
  await webhook.close();
  await fixture.close();
  await temporal.close();
});

describe('a small job with mixed outcomes, settled by callbacks through the webhook', () => {
  it('reports every device correctly, NB-IoT devices with their NIDD result', async () => {
    const taskQueue = uniqueTaskQueue('job-callbacks');
    const jobId = `job-callbacks-${Date.now()}`;
    const activation = new ActivationClient(temporal.client, taskQueue);
    const report = await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
      // The callback wait is long: every submitted device must be settled by its callbacks, not by polling.
      const { handle } = await activation.startJob(jobRequest(jobId, seeds, { callbackTimeout: '10 minutes' }));
      await handle.result();
      const rows: DeviceReport[] = [];
      for await (const page of activation.report(jobId)) rows.push(...page);
      return new Map(rows.map((r) => [r.key, r]));
    });

    const at = (n: number) => report.get(`imei:35000000${String(n).padStart(7, '0')}`);
    expect(report.size).toBe(8);
    expect(at(800)).toMatchObject({ outcome: 'activated', source: 'callback', state: 'Active' });
    expect(at(800)?.assignedIds.map((id) => id.kind.toLowerCase())).toEqual(
      expect.arrayContaining(['mdn', 'msisdn', 'imsi']),
    );
    expect(at(800)?.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(at(801)).toMatchObject({ outcome: 'activated', source: 'callback' });
    expect(at(802)).toMatchObject({ outcome: 'failed', source: 'callback', reason: 'Invalid ICCID' });
    expect(at(803)).toMatchObject({ outcome: 'activated', nidd: 'success', source: 'callback' });
    // The line is active (and billed); only its NIDD configuration failed: activated, NIDD failed beside it.
    expect(at(804)).toMatchObject({ outcome: 'activated', nidd: 'failed', niddReason: 'Not CatM or NBIoT Device' });
    expect(at(805)).toMatchObject({ outcome: 'skipped', reason: 'already active' });
    expect(at(806)).toMatchObject({ outcome: 'skipped', reason: 'not in account' });
    expect(at(807)).toMatchObject({ outcome: 'skipped', reason: 'ineligible state: suspend' });
    expect(fixture.sim.admin.submissions()).toMatchObject({ totalSubmissions: 5, resubmitted: [] });
  });
});

describe('a running job, as `status` shows it', () => {
  it('groups the devices not activated so far, and the open one as pending, without reading the report', async () => {
    const taskQueue = uniqueTaskQueue('job-live-groups');
    const jobId = `job-live-groups-${Date.now()}`;
    const activation = new ActivationClient(temporal.client, taskQueue);
    const reportRead = jest.spyOn(activation, 'report');
    await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
      await activation.startJob(jobRequest(jobId, running, { callbackTimeout: '1 hour' }));
      try {
        // Four devices settle (one skipped by the job, three by their callbacks) once the job has submitted the
        // rest; the fifth's callback never comes.
        const live = await eventually('four devices settled', async () => {
          const progress = await activation.liveProgress(jobId);
          return progress.phase === 'awaiting-requests' && progress.counts.pending === 1 ? progress : undefined;
        });
        expect(live.counts).toMatchObject({ total: 5, activated: 1, failed: 2, skipped: 1, pending: 1 });
        expect(await notActivatedGroups(activation, live)).toEqual([
          { outcome: 'failed', count: 2, reasons: [{ reason: 'Invalid ICCID', count: 2 }] },
          { outcome: 'skipped', count: 1, reasons: [{ reason: 'already active', count: 1 }] },
          { outcome: 'pending', count: 1, reasons: [{ reason: 'nothing heard yet', count: 1 }] },
        ]);
        expect(reportRead).not.toHaveBeenCalled();
        // The open request is read from the progress it publishes in its memo: only the job itself is queried (a
        // query replays a request the worker has not cached).
        const { value: again, queried } = await withQueriedIds(temporal.client, () => activation.liveProgress(jobId));
        expect(again.counts).toEqual(live.counts);
        expect(again.notActivatedGroups).toEqual(live.notActivatedGroups);
        expect(queried).toEqual([jobId]);
        expect(fixture.sim.admin.submissions()).toMatchObject({ resubmitted: [] });
      } finally {
        await endJob(jobId, activation);
      }
    });
  });
});

/**
 * Ends a job left waiting, and everything of it that would stay open: its requests, and an inbox an early callback
 * opened (a claimed inbox closes only when its request ends normally). Other tests' findInboxes asks every open
 * inbox, and one whose worker is gone never answers. The simulator sends what it owes first (resends too), so that
 * no callback comes after the requests have closed and opens a late inbox.
 */
async function endJob(jobId: string, activation: ActivationClient): Promise<void> {
  await fixture.sim.admin.settled();
  const { requests } = await activation.progress(jobId);
  const ids = [jobId, ...requests.flatMap((r) => [r.workflowId, inboxWorkflowId(r.requestId)])];
  for (const id of ids)
    await temporal.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
}
