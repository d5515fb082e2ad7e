/**
 * Jobs named by a stored device list and cut into part jobs: the client stores a long list by itself, the job
 * holds no device, every device is reported once and right, and no payload of the job carries the list.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { DEVICES_PER_PART, INLINE_DEVICES_MAX } from '../../src/activation/job-limits.js';
import type { DeviceReport } from '../../src/activation/model.js';
import { ActivationClient, InvalidJobRequestError } from '../../src/client.js';
import { encodeDeviceList } from '../../src/activation/device-list.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import type { SeedDevice } from '../../src/simulator/index.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import { checkAgainstTruth } from '../faults/truth.js';
import { nextChildStarted } from '../harness/history-wait.js';
import { startScaleFixture, type ScaleFixture } from './fixture.js';
import { jobDevice, jobRequest, seedDevice, type ActivationFixture } from '../harness/activation.js';
import { uniqueTaskQueue, withActivationWorkers, type TestTemporal } from '../harness/temporal.js';

const DEVICES = 2 * DEVICES_PER_PART + 5_000;
/** A job of two parts, cancelled as soon as its first part starts. */
const cancelled: SeedDevice[] = Array.from({ length: DEVICES_PER_PART + 1 }, (_, i) => seedDevice(400_000 + i));
const seeds: SeedDevice[] = Array.from({ length: DEVICES }, (_, i) => {
  const n = 100_000 + i;
  if (i % 1_000 === 7) return seedDevice(n, { state: 'active' });
  if (i % 1_000 === 13) return seedDevice(n, { outcome: { activation: 'failure', reason: 'Invalid ICCID' } });
  return seedDevice(n);
});

const taskQueue = uniqueTaskQueue('job-parts');
let scale: ScaleFixture;
let temporal: TestTemporal;
let fixture: ActivationFixture;
let store: FileBlobStore;

beforeAll(async () => {
  scale = await startScaleFixture([...seeds, ...cancelled], taskQueue);
  ({ temporal, activation: fixture } = scale);
  store = new FileBlobStore(scale.dir);
});
afterAll(() => scale.close());

describe('a job of a stored list longer than one part', () => {
  // 25,000 devices through the webhook: about a minute on a loaded 2-core machine.
  it('runs part jobs and reports every device once, as the simulator records it', async () => {
    const jobId = `job-parts-${Date.now()}`;
    const activation = new ActivationClient(temporal.client, taskQueue, store);
    const { result, report, truth, submitted, history } = await withActivationWorkers(
      taskQueue,
      fixture.thingspace,
      async () => {
        const { handle } = await activation.startJob(jobRequest(jobId, seeds, { callbackTimeout: '10 minutes' }));
        const result = await handle.result();
        const rows: DeviceReport[] = [];
        for await (const page of activation.report(jobId)) rows.push(...page);
        const truth = await checkAgainstTruth(fixture.sim, rows);
        const submitted = fixture.sim.admin.submissions();
        // A retry takes its devices from the stored list (settings kept) and the report: the 25 that failed.
        const retry = await activation.retry(jobId, { outcomes: ['failed'] });
        const retried = await activation.request(retry.jobId);
        expect(retried.devices?.map((d) => d.deviceIds[0]?.id)).toEqual(
          seeds.filter((_, i) => i % 1_000 === 13).map((seed) => seed.deviceIds[0]?.id),
        );
        await retry.handle.result();
        return { result, report: rows, truth, submitted, history: await handle.fetchHistory() };
      },
      { store },
    );

    expect(result.phase).toBe('done');
    expect(result.parts?.map((p) => p.devices)).toEqual([DEVICES_PER_PART, DEVICES_PER_PART, 5_000]);
    expect(result.counts).toMatchObject({ total: DEVICES, activated: 24_950, failed: 25, skipped: 25, pending: 0 });
    expect(report).toHaveLength(DEVICES);
    expect(truth).toMatchObject({ devices: DEVICES, wrong: [], duplicates: 0, callbacksLost: [] });
    expect(submitted).toMatchObject({ totalSubmissions: 24_975, resubmitted: [] });
    // Then the retry sent the 25 failed devices once more, and nothing else.
    expect(fixture.sim.admin.submissions().resubmitted).toHaveLength(25);

    // The list never travelled through the job: its input names the stored list, and its whole history is small.
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    expect(input?.length).toBeLessThan(1_024);
    const historyBytes = history.events?.reduce((n, e) => n + JSON.stringify(e).length, 0) ?? 0;
    expect(historyBytes).toBeLessThan(200_000);
  }, 300_000);

  it('refuses a stored list that breaks a rule, naming the device, before anything is sent', async () => {
    const taskQueue = uniqueTaskQueue('job-parts-bad');
    const activation = new ActivationClient(temporal.client, taskQueue, store);
    const devices = seeds.slice(0, INLINE_DEVICES_MAX + 2).map(jobDevice);
    devices.push(devices[3]!);
    await expect(activation.startJob({ ...jobRequest('bad-list', []), devices })).rejects.toThrow(
      new InvalidJobRequestError(
        `Invalid job request: devices[${INLINE_DEVICES_MAX + 2}]: device repeats imei of devices[3] in job request`,
        [],
      ),
    );

    // The same rules hold for a list another program stored: the job fails naming the device and line.
    const deviceList = 'device-lists/written-by-another-program';
    await store.put(deviceList, encodeDeviceList([jobDevice(seeds[0]!), { deviceIds: [{ kind: 'imei', id: 'x' }] }]));
    const before = fixture.sim.admin.submissions().totalSubmissions;
    await withActivationWorkers(
      taskQueue,
      fixture.thingspace,
      async () => {
        const { jobId: _id, devices: _devices, ...rest } = jobRequest('x', []);
        const { handle } = await activation.startJob({ ...rest, jobId: `bad-stored-${Date.now()}`, deviceList });
        const failure = await handle.result().catch((err: unknown) => err);
        expect(failure).toBeInstanceOf(WorkflowFailedError);
        expect(String((failure as WorkflowFailedError).cause?.message)).toMatch(
          /devices\[1\]\.deviceIds\[0\].*\(line 2\)/,
        );

        const missing = await activation.startJob({
          ...rest,
          jobId: `missing-${Date.now()}`,
          deviceList: 'device-lists/none',
        });
        const notFound = await missing.handle.result().catch((err: unknown) => err);
        expect(String((notFound as WorkflowFailedError).cause?.message)).toMatch(
          /deviceList: no list device-lists\/none/,
        );
      },
      { store },
    );
    expect(fixture.sim.admin.submissions().totalSubmissions).toBe(before);
  });

  it('cancelled while its parts run, reports every device once and never a submitted one as skipped', async () => {
    const jobId = `job-parts-cancel-${Date.now()}`;
    const activation = new ActivationClient(temporal.client, taskQueue, store);
    const { result, report } = await withActivationWorkers(
      taskQueue,
      fixture.thingspace,
      async () => {
        const { handle } = await activation.startJob(jobRequest(jobId, cancelled, { callbackTimeout: '10 minutes' }));
        await nextChildStarted(temporal, jobId);
        await handle.cancel();
        const result = await handle.result();
        const rows: DeviceReport[] = [];
        for await (const page of activation.report(jobId)) rows.push(...page);
        return { result, report: rows };
      },
      { store },
    );
    expect(result.phase).toBe('cancelled');
    expect(result.counts.total).toBe(cancelled.length);
    expect(new Set(report.map((row) => row.key)).size).toBe(cancelled.length);
    const submissions = new Map(
      fixture.sim.admin.submissions().devices.map((d) => [deviceKey(d.deviceIds), d.submissions]),
    );
    const skipped = report.filter((row) => row.outcome === 'skipped');
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped).toHaveLength(result.counts.skipped);
    expect(skipped.every((row) => (submissions.get(row.key) ?? 0) === 0)).toBe(true);
    expect(report.filter((row) => (submissions.get(row.key) ?? 0) > 1)).toEqual([]);
  }, 300_000);
});
