/**
 * A selection job larger than one part (about 20 s on 2 cores): a device group of 12,000 4G devices, among devices
 * outside it and NB-IoT devices in it, plus listed devices, written to the store by storeSelection and run as part
 * jobs. Real Temporal server, real workers, the simulator over HTTP with callbacks through the webhook; the
 * simulator's own record says which devices were activated and how often.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEVICES_PER_PART } from '../../src/activation/job-limits.js';
import type { DeviceReport } from '../../src/activation/model.js';
import { ActivationClient } from '../../src/client.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import { jobProgressQuery } from '../../src/workflows/job.js';
import { checkAgainstTruth } from '../faults/truth.js';
import { ACTIVATION, DEFAULT_ACCOUNT, jobDevice, nbIotDevice, seedDevice } from '../harness/activation.js';
import { uniqueTaskQueue, withActivationWorkers } from '../harness/temporal.js';
import { startScaleFixture, type ScaleFixture } from '../scale/fixture.js';

const GROUP = 'Fleet';
const IN_GROUP = DEVICES_PER_PART + 2_000;
const inGroup = Array.from({ length: IN_GROUP }, (_, i) => seedDevice(500_000 + i, { groupNames: [GROUP] }));
const nbIotInGroup = Array.from({ length: 300 }, (_, i) => nbIotDevice(520_000 + i, { groupNames: [GROUP] }));
const outside = Array.from({ length: 2_000 }, (_, i) => seedDevice(530_000 + i, { groupNames: ['Elsewhere'] }));
/** Listed besides the group: two devices outside it, and one in it (activated once, as listed). */
const listed = [outside[0]!, outside[1]!, inGroup[5_000]!];
const expected = [...listed, ...inGroup.filter((seed) => seed !== inGroup[5_000])];

const taskQueue = uniqueTaskQueue('job-selection-parts');
let scale: ScaleFixture;
let store: FileBlobStore;

beforeAll(async () => {
  scale = await startScaleFixture([...inGroup, ...nbIotInGroup, ...outside], taskQueue);
  store = new FileBlobStore(scale.dir);
});
afterAll(() => scale.close());

describe('a selection job larger than one part', () => {
  it('runs in parts and activates exactly the selected and listed devices, each once', async () => {
    const { temporal, activation: fixture } = scale;
    const jobId = `selection-parts-${Date.now()}`;
    const activation = new ActivationClient(temporal.client, taskQueue, store);
    const { result, report, history } = await withActivationWorkers(
      taskQueue,
      fixture.thingspace,
      async () => {
        const { handle } = await activation.startJob({
          jobId,
          accountName: DEFAULT_ACCOUNT,
          activation: ACTIVATION,
          devices: listed.map(jobDevice),
          selection: { groupName: GROUP },
          options: { callbackTimeout: '10 minutes' },
        });
        const result = await handle.result();
        const rows: DeviceReport[] = [];
        for await (const page of activation.report(jobId)) rows.push(...page);
        // The finished parent still answers the progress query with the selection's summary.
        expect((await handle.query(jobProgressQuery)).selection).toEqual(result.selection);
        return { result, report: rows, history: await handle.fetchHistory() };
      },
      { store },
    );

    expect(result.phase).toBe('done');
    expect(result.parts?.map((p) => p.devices)).toEqual([DEVICES_PER_PART, expected.length - DEVICES_PER_PART]);
    expect(result.selection).toMatchObject({ resolved: IN_GROUP, excludedNbIot: nbIotInGroup.length, alsoListed: 1 });
    expect(result.selection!.listCalls).toBeGreaterThan(0);
    expect(result.counts).toMatchObject({ total: expected.length, activated: expected.length, pending: 0 });

    // Exactly the selected and listed devices reported, each once, and as the simulator records them.
    const expectedKeys = expected.map((seed) => deviceKey(seed.deviceIds)).sort();
    expect(report.map((row) => row.key).sort()).toEqual(expectedKeys);
    expect(await checkAgainstTruth(fixture.sim, report)).toMatchObject({ wrong: [], duplicates: 0, callbacksLost: [] });
    const submitted = fixture.sim.admin.submissions();
    expect(submitted).toMatchObject({ totalSubmissions: expected.length, resubmitted: [] });
    expect(submitted.devices.map((d) => deviceKey(d.deviceIds)).sort()).toEqual(expectedKeys);

    // The devices never travelled through the parent: its whole history stays small.
    const historyBytes = history.events?.reduce((n, e) => n + JSON.stringify(e).length, 0) ?? 0;
    expect(historyBytes).toBeLessThan(200_000);
  }, 180_000);
});
