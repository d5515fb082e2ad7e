/**
 * `status` on a running job cut into parts (about 15 s on 2 cores): 10,001 listed devices, two parts, one device's
 * callback never sent, so the first part and its request stay open. Real Temporal server, real workers, the
 * simulator over HTTP with callbacks through the webhook.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEVICES_PER_PART } from '../../src/activation/job-limits.js';
import { ActivationClient } from '../../src/client.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import { jobProgressQuery } from '../../src/workflows/job.js';
import { inboxWorkflowId } from '../../src/workflows/inbox-id.js';
import { ACTIVATION, DEFAULT_ACCOUNT, jobDevice, seedDevice } from '../harness/activation.js';
import { eventually } from '../harness/eventually.js';
import { withQueriedIds } from '../harness/queried.js';
import { uniqueTaskQueue, withActivationWorkers } from '../harness/temporal.js';
import { startScaleFixture, type ScaleFixture } from '../scale/fixture.js';

const seeds = Array.from({ length: DEVICES_PER_PART + 1 }, (_, i) =>
  seedDevice(610_000 + i, i === 0 ? { outcome: { dropCallback: true } } : {}),
);

const taskQueue = uniqueTaskQueue('job-parts-live');
let scale: ScaleFixture;
let store: FileBlobStore;

beforeAll(async () => {
  scale = await startScaleFixture(seeds, taskQueue);
  store = new FileBlobStore(scale.dir);
});
afterAll(() => scale.close());

describe('a running job in parts, as `status` shows it', () => {
  it('reads its open part and request from what they published, querying only the job', async () => {
    const { temporal, activation: fixture } = scale;
    const jobId = `parts-live-${Date.now()}`;
    const activation = new ActivationClient(temporal.client, taskQueue, store);
    await withActivationWorkers(
      taskQueue,
      fixture.thingspace,
      async () => {
        await activation.startJob({
          jobId,
          accountName: DEFAULT_ACCOUNT,
          activation: ACTIVATION,
          devices: seeds.map(jobDevice),
          options: { callbackTimeout: '1 hour' },
        });
        try {
          const live = await eventually('every device but one settled', async () => {
            const progress = await activation.liveProgress(jobId);
            return progress.counts.activated === DEVICES_PER_PART ? progress : undefined;
          });
          expect(live.phase).toBe('running-parts');
          expect(live.counts).toMatchObject({ total: seeds.length, activated: DEVICES_PER_PART, pending: 1 });
          expect(live.notActivatedGroups).toEqual([
            { outcome: 'pending', count: 1, reasons: [{ reason: 'nothing heard yet', count: 1 }] },
          ]);
          const { value: again, queried } = await withQueriedIds(temporal.client, () => activation.liveProgress(jobId));
          expect(again.counts).toEqual(live.counts);
          expect(again.notActivatedGroups).toEqual(live.notActivatedGroups);
          // Neither the open part nor its open request was queried (each a replay when not cached).
          expect(queried).toEqual([jobId]);
          expect(fixture.sim.admin.submissions()).toMatchObject({ totalSubmissions: seeds.length, resubmitted: [] });
        } finally {
          await endJob(jobId);
        }
      },
      { store },
    );
  });
});

/** Ends the job left waiting, its parts, their requests and the inboxes early callbacks opened (see job-callbacks). */
async function endJob(jobId: string): Promise<void> {
  const { client } = scale.temporal;
  await scale.activation.sim.admin.settled();
  const ids = [jobId];
  const { parts = [] } = await client.workflow.getHandle(jobId).query(jobProgressQuery);
  for (const part of parts) {
    ids.push(part.jobId);
    const { requests } = await client.workflow
      .getHandle(part.jobId)
      .query(jobProgressQuery)
      .catch(() => ({ requests: [] }));
    for (const r of requests) ids.push(r.workflowId, inboxWorkflowId(r.requestId));
  }
  for (const id of ids)
    await client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
}
