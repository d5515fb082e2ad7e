import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DEFAULT_ACCOUNT, seedDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { cli, cliEnv as env } from '../harness/cli.js';
import { connectTestClient, uniqueTaskQueue, withActivationWorkers, type TestTemporal } from '../harness/temporal.js';

let temporal: TestTemporal;
let fixture: ActivationFixture;
let dir: string;
const seeds = Array.from({ length: 12 }, (_, i) =>
  seedDevice(
    700 + i,
    i === 3 ? { state: 'active' } : i === 5 ? { outcome: { activation: 'failure', reason: 'Bad SIM' } } : {},
  ),
);

beforeAll(async () => {
  temporal = await connectTestClient();
  fixture = await startActivationFixture(seeds);
  dir = await mkdtemp(join(tmpdir(), 'cli-'));
});
afterAll(async () => {
  await fixture.close();
  await temporal.close();
});

const csv = (rows: string[]) => ['IMEI,ICCID,nbIot', ...rows].join('\n') + '\n';
const row = (n: number) => {
  const [imei, iccid] = seedDevice(n).deviceIds;
  return `${imei!.id},${iccid!.id},false`;
};

describe('the CLI (child process, dev server, simulator, worker)', () => {
  it('refuses a bad CSV file with line, column and rule, and starts nothing', async () => {
    const file = join(dir, 'bad.csv');
    await writeFile(
      file,
      csv([
        row(700),
        '12345678901234567,89140000000000000701,false',
        row(700),
        `${seedDevice(702).deviceIds[0]!.id},,maybe`,
      ]),
    );
    const jobId = `cli-bad-${Date.now()}`;
    const run = await cli(
      [
        'activate',
        file,
        '--job-id',
        jobId,
        '--account',
        DEFAULT_ACCOUNT,
        '--service-plan',
        'P',
        '--mdn-zip-code',
        '98801',
      ],
      env(),
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('nothing was started');
    expect(run.stderr).toContain('line 3, column IMEI: imei must be 1-16 decimal digits');
    expect(run.stderr).toContain('line 5, column nbIot: nbIot must be true or false');
    expect(run.stderr).toMatch(/line 4: device repeats imei of devices\[0\]/);
    await expect(temporal.client.workflow.getHandle(jobId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    const unknownColumn = join(dir, 'columns.csv');
    await writeFile(unknownColumn, 'IMEI,colour\n350000000000700,red\n');
    const run2 = await cli(
      ['activate', unknownColumn, '--account', DEFAULT_ACCOUNT, '--service-plan', 'P', '--mdn-zip-code', '98801'],
      env(),
    );
    expect(run2.code).not.toBe(0);
    expect(run2.stderr).toContain('line 1, column colour: unknown column');
  });

  it('activates a CSV file with --wait, refuses to run the same job twice, and reports as CSV', async () => {
    const taskQueue = uniqueTaskQueue('cli');
    const file = join(dir, 'good.csv');
    await writeFile(file, csv(seeds.map((_, i) => row(700 + i))));
    const args = [
      'activate',
      file,
      '--account',
      DEFAULT_ACCOUNT,
      '--service-plan',
      '4G-IoT-1GB',
      '--mdn-zip-code',
      '98801',
      '--max-devices-per-request',
      '5',
      '--callback-timeout',
      '1 second',
      '--poll-interval',
      '500 milliseconds',
      '--wait',
    ];
    await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
      const first = await cli(args, env(taskQueue));
      expect(first.stderr).not.toMatch(/error/i);
      expect(first.code).toBe(0);
      const jobId = /Started job (\S+)/.exec(first.stdout)?.[1];
      expect(jobId).toMatch(/^activation-[0-9a-f]{20}$/);
      expect(first.stdout).toContain(`Web UI: http://localhost:8233/namespaces/default/workflows/${jobId}`);
      expect(first.stdout).toContain('12 devices: 10 activated, 1 failed, 1 skipped, 0 unresolved');
      // What is left, grouped by outcome and reason, failures first.
      expect(first.stdout).toMatch(/failed 1:\n +1 {2}[^\n]*Bad SIM\n +skipped 1:\n +1 {2}already active\n/);

      const again = await cli(args, env(taskQueue));
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`Already exists, not started again: job ${jobId}`);
      expect(fixture.sim.admin.submissions()).toMatchObject({ totalSubmissions: 11, resubmitted: [] });

      const out = join(dir, 'report.csv');
      const report = await cli(['report', jobId!, '--format', 'csv', '--output', out], env(taskQueue));
      expect(report.code).toBe(0);
      const lines = (await readFile(out, 'utf8')).trim().split('\n');
      expect(lines[0]).toBe('key,outcome,reason,mdn,msisdn,imsi,iccid,ipAddress,state,servicePlan,nidd');
      expect(lines).toHaveLength(13);
      expect(lines.filter((l) => l.includes(',activated,'))).toHaveLength(10);

      const status = await cli(['status', jobId!], env(taskQueue));
      expect(status.stdout).toContain(`Job ${jobId}: done`);
      expect(status.stdout).toMatch(/failed 1:\n +1 {2}[^\n]*Bad SIM\n +skipped 1:\n +1 {2}already active\n/);
    });
  }, 120_000);
});
