/**
 * A job in requests of one device each: small requests keep what one refused request takes down with it small, but
 * each is a child workflow and about 13 history events of its job. The client stores such a list, and the job runs
 * it in parts that send at most MAX_REQUESTS_PER_JOB requests each; every device is sent once and reported as the
 * simulator records it.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { encodeDeviceList } from '../../src/activation/device-list.js';
import { MAX_PARTS, MAX_REQUESTS_PER_JOB } from '../../src/activation/job-limits.js';
import type { JobResult } from '../../src/activation/job-result.js';
import type { DeviceReport } from '../../src/activation/model.js';
import { ActivationClient } from '../../src/client.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import { checkAgainstTruth } from '../faults/truth.js';
import { jobDevice, jobRequest, seedDevice } from '../harness/activation.js';
import { uniqueTaskQueue, withActivationWorkers } from '../harness/temporal.js';
import { startScaleFixture, type ScaleFixture } from './fixture.js';

/** Temporal warns past this many events in one workflow's history. */
const EVENTS_WARNING = 10_240;
const seeds = Array.from({ length: MAX_REQUESTS_PER_JOB + 1 }, (_, i) => seedDevice(600_000 + i));
const taskQueue = uniqueTaskQueue('small-requests');
let scale: ScaleFixture;

beforeAll(async () => {
  scale = await startScaleFixture(seeds, taskQueue);
  // The point here is the job's own bound, not ThingSpace's 100 requests a minute (tested elsewhere).
  scale.activation.sim.admin.setConfig({ activateRateLimit: { max: 100_000 } });
});
afterAll(() => scale?.close());

it('runs requests of one device in parts of at most MAX_REQUESTS_PER_JOB requests, each device sent once', async () => {
  const { temporal, activation: fixture } = scale;
  const store = new FileBlobStore(scale.dir);
  const activation = new ActivationClient(temporal.client, taskQueue, store);
  const jobId = `small-requests-${Date.now()}`;
  const { result, parts, report } = await withActivationWorkers(
    taskQueue,
    fixture.thingspace,
    async () => {
      const { handle } = await activation.startJob(
        jobRequest(jobId, seeds, { maxDevicesPerRequest: 1, callbackTimeout: '10 minutes' }),
      );
      const result = await handle.result();
      const parts = await Promise.all(
        (result.parts ?? []).map(async ({ jobId: partId }) => {
          const part = temporal.client.workflow.getHandle<() => Promise<JobResult>>(partId);
          return { result: await part.result(), events: (await part.describe()).historyLength };
        }),
      );
      const report: DeviceReport[] = [];
      for await (const page of activation.report(jobId)) report.push(...page);
      return { result, parts, report };
    },
    { store },
  );

  expect(result.phase).toBe('done');
  expect(result.counts).toMatchObject({ total: seeds.length, activated: seeds.length, pending: 0 });
  expect(result.parts?.map((p) => p.devices)).toEqual([MAX_REQUESTS_PER_JOB, 1]);
  expect(parts.map((p) => p.result.requests.length)).toEqual([MAX_REQUESTS_PER_JOB, 1]);
  console.log(`history events of the parts: ${parts.map((p) => p.events).join(', ')}`);
  for (const { events } of parts) expect(events).toBeLessThan(EVENTS_WARNING);
  expect(fixture.sim.admin.submissions()).toMatchObject({ totalSubmissions: seeds.length, resubmitted: [] });
  expect(await checkAgainstTruth(fixture.sim, report)).toMatchObject({
    devices: seeds.length,
    wrong: [],
    duplicates: 0,
    callbacksLost: [],
  });
}, 600_000);

it('fails a stored list that small requests would cut into more parts than a job runs, naming the field, sending nothing', async () => {
  const { temporal, activation: fixture } = scale;
  const store = new FileBlobStore(scale.dir);
  const activation = new ActivationClient(temporal.client, taskQueue, store);
  // Written as another program would: one part more than a job of one-device requests may have.
  const devices = MAX_PARTS * MAX_REQUESTS_PER_JOB + 1;
  const deviceList = 'device-lists/too-many-small-requests';
  await store.put(
    deviceList,
    encodeDeviceList(Array.from({ length: devices }, (_, i) => jobDevice(seedDevice(i + 1)))),
  );
  const before = { submissions: fixture.sim.admin.submissions().totalSubmissions, list: fixture.sim.admin.listCalls() };
  const failure = await withActivationWorkers(
    taskQueue,
    fixture.thingspace,
    async () => {
      const { jobId: _id, devices: _devices, ...rest } = jobRequest('x', [], { maxDevicesPerRequest: 1 });
      const { handle } = await activation.startJob({ ...rest, jobId: `too-many-parts-${Date.now()}`, deviceList });
      return handle.result().catch((err: unknown) => err);
    },
    { store },
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect(String((failure as WorkflowFailedError).cause?.message)).toMatch(
    new RegExp(`^options\\.maxDevicesPerRequest must be at least 2 for this list of ${devices} devices`),
  );
  // Refused before any device was checked or sent.
  expect(fixture.sim.admin.submissions().totalSubmissions).toBe(before.submissions);
  expect(fixture.sim.admin.listCalls()).toBe(before.list);
});
