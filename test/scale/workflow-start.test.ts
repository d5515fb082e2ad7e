/**
 * A caller in another language: no TypeScript client, no payload codec. It stores the list with
 * `thingspace-activation devices upload` (any program can run it, or write the list to the store itself) and starts
 * a 100,000-device job with `temporal workflow start`, a payload of a few hundred bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DeviceReport } from '../../src/activation/model.js';
import { ActivationClient } from '../../src/client.js';
import { obtainTemporalCli } from '../../src/devserver/temporal-cli.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import { ACTIVATION, DEFAULT_ACCOUNT, seedDevice, type ActivationFixture } from '../harness/activation.js';
import { cli, cliEnv } from '../harness/cli.js';
import { uniqueTaskQueue, withActivationWorkers, type TestTemporal } from '../harness/temporal.js';
import { checkAgainstTruth } from '../faults/truth.js';
import { startScaleFixture, type ScaleFixture } from './fixture.js';

const DEVICES = 100_000;
const seeds = Array.from({ length: DEVICES }, (_, i) => seedDevice(200_000 + i));

const taskQueue = uniqueTaskQueue('workflow-start');
let scale: ScaleFixture;
let temporal: TestTemporal;
let fixture: ActivationFixture;

beforeAll(async () => {
  scale = await startScaleFixture(seeds, taskQueue);
  ({ temporal, activation: fixture } = scale);
});
afterAll(() => scale.close());

describe('a 100,000-device job started with `temporal workflow start`', () => {
  it('completes with every device activated once, as the simulator records it', async () => {
    const storeDir = join(scale.dir, 'store');
    const csv = join(scale.dir, 'devices.csv');
    await writeFile(csv, ['imei,iccid', ...seeds.map((s) => s.deviceIds.map((d) => d.id).join(','))].join('\n'));
    const upload = await cli(['devices', 'upload', csv], { BLOB_STORE_URL: storeDir });
    expect(upload).toMatchObject({ code: 0, stderr: '' });
    expect(upload.stdout).toContain(`Stored ${DEVICES} devices`);
    const deviceList = /deviceList: (\S+)/.exec(upload.stdout)?.[1];
    expect(deviceList).toMatch(/^device-lists\/[0-9a-f]{64}$/);

    const jobId = `workflow-start-${Date.now()}`;
    const input = JSON.stringify({
      jobId,
      accountName: DEFAULT_ACCOUNT,
      activation: ACTIVATION,
      deviceList,
      options: { callbackTimeout: '30 minutes' },
    });
    const temporalCli = await obtainTemporalCli();
    if (temporalCli.kind !== 'binary') throw new Error('the Temporal CLI is needed (npm run temporal-cli builds it)');
    const env = cliEnv(taskQueue);
    const store = new FileBlobStore(storeDir);
    const report = await withActivationWorkers(
      taskQueue,
      fixture.thingspace,
      async () => {
        const started = await promisify(execFile)(temporalCli.path, [
          'workflow',
          'start',
          '--address',
          env.TEMPORAL_ADDRESS!,
          '--namespace',
          env.TEMPORAL_NAMESPACE!,
          '--task-queue',
          taskQueue,
          '--type',
          'activationJob',
          '--workflow-id',
          jobId,
          '--input',
          input,
        ]);
        expect(started.stdout).toContain(jobId);
        const activation = new ActivationClient(temporal.client, taskQueue, store);
        const result = await activation.result(jobId);
        expect(result).toMatchObject({ phase: 'done', counts: { total: DEVICES, activated: DEVICES, pending: 0 } });
        expect(result.parts).toHaveLength(DEVICES / 10_000);
        const rows: DeviceReport[] = [];
        for await (const page of activation.report(jobId)) rows.push(...page);
        return rows;
      },
      { store },
    );
    expect(input.length).toBeLessThan(600);
    expect(report).toHaveLength(DEVICES);
    expect(await checkAgainstTruth(fixture.sim, report)).toMatchObject({ wrong: [], duplicates: 0, callbacksLost: [] });
    expect(fixture.sim.admin.submissions()).toMatchObject({ totalSubmissions: DEVICES, resubmitted: [] });
  }, 900_000);
});
