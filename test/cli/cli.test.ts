import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { MAX_REQUESTS_PER_JOB } from '../../src/activation/job-limits.js';
import { DEFAULT_ACCOUNT, seedDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { cli, cliEnv as env } from '../harness/cli.js';
import { hasFields, inGroup, matching, selectionDevice, selectionSeed } from '../harness/selection-seed.js';
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

/** `activate <file>` on the simulator's account with placeholder settings, then `flags`. */
const activate = (file: string, ...flags: string[]) => [
  'activate',
  file,
  '--account',
  DEFAULT_ACCOUNT,
  '--service-plan',
  'P',
  '--mdn-zip-code',
  '98801',
  ...flags,
];
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
    const run = await cli(activate(file, '--job-id', jobId), env());
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('nothing was started');
    expect(run.stderr).toContain('line 3, column IMEI: imei must be 1-16 decimal digits');
    expect(run.stderr).toContain('line 5, column nbIot: nbIot must be true or false');
    expect(run.stderr).toMatch(/line 4: device repeats imei of devices\[0\]/);
    await expect(temporal.client.workflow.getHandle(jobId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    const unknownColumn = join(dir, 'columns.csv');
    await writeFile(unknownColumn, 'IMEI,colour\n350000000000700,red\n');
    const run2 = await cli(activate(unknownColumn), env());
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
      expect(lines[0]).toBe('key,outcome,reason,mdn,msisdn,imsi,iccid,ipAddress,state,servicePlan,nidd,niddReason');
      expect(lines).toHaveLength(13);
      expect(lines.filter((l) => l.includes(',activated,'))).toHaveLength(10);

      const status = await cli(['status', jobId!], env(taskQueue));
      expect(status.stdout).toContain(`Job ${jobId}: done`);
      expect(status.stdout).toMatch(/failed 1:\n +1 {2}[^\n]*Bad SIM\n +skipped 1:\n +1 {2}already active\n/);
    });
  }, 120_000);
});

describe('the CLI with --group / --custom-field (child process, dev server, simulator, worker)', () => {
  const SELECTION_COUNT = 40;
  const READY = new Set(['pre-active', 'preactive', 'deactive']);
  const ready = (numbers: number[]) =>
    numbers.filter((n) => {
      const seed = selectionDevice(n);
      return seed.type !== 'NB-IoT' && READY.has(seed.state ?? 'pre-active');
    });
  const submittedImeis = (local: ActivationFixture) =>
    local.sim.admin
      .submissions()
      .devices.map((d) => d.deviceIds.find((id) => id.kind.toLowerCase() === 'imei')!.id)
      .sort();
  const imeis = (numbers: number[]) => numbers.map((n) => selectionDevice(n).deviceIds[0]!.id).sort();
  const fast = ['--callback-timeout', '1 second', '--poll-interval', '500 milliseconds', '--wait'];
  const settings = ['--account', DEFAULT_ACCOUNT, '--service-plan', '4G-IoT-1GB', '--mdn-zip-code', '98801'];

  it('shows the selection flags in the help', async () => {
    const help = await cli(['activate', '--help'], env());
    expect(help.code).toBe(0);
    // Commander wraps the help to the terminal's width.
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('activate [options] [file]');
    expect(text).toContain('--group <name> activate the 4G devices of this device group, with or without a file');
    expect(text).toContain('--custom-field <key=value> activate the devices with this custom-field value');
    expect(text).toContain('--include-nb-iot with --group / --custom-field: include NB-IoT devices');
    expect(text).toContain('--group-name <name> device group ThingSpace puts the activated devices in');
  });

  it('refuses a missing or bad selection, naming the flag, and starts nothing', async () => {
    const runs = await Promise.all(
      [
        [],
        ['--custom-field', 'CustomField1'],
        ['--custom-field', 'Colour=Blue', '--group', ''],
        ['--include-nb-iot'],
        ['--group', '4G West', '--custom-field', 'CustomField1=Blue', '--custom-field', 'CustomField1=Red'],
      ].map((flags) => cli(['activate', ...settings, '--job-id', `cli-sel-bad-${Date.now()}`, ...flags], env())),
    );
    for (const run of runs) expect(run.code).not.toBe(0);
    const [none, noEquals, badKeyAndGroup, nbIotAlone, twice] = runs.map((run) => run.stderr);
    expect(none).toContain('no devices named: give a device file, --group <name> and/or --custom-field KEY=VALUE');
    expect(noEquals).toContain('--custom-field "CustomField1": expected KEY=VALUE, e.g. CustomField2=SuperVend');
    expect(badKeyAndGroup).toContain('nothing was started');
    expect(badKeyAndGroup).toContain('--group: groupName must not be empty');
    expect(badKeyAndGroup).toContain('--custom-field Colour=Blue: key must be one of CustomField1');
    expect(nbIotAlone).toContain('--include-nb-iot needs --group or --custom-field');
    expect(twice).toContain('--custom-field CustomField1=Red: CustomField1 appears twice');
  });

  it('activates a group filtered by a custom field, without a device file', async () => {
    const local = await startActivationFixture(selectionSeed(SELECTION_COUNT, 10));
    try {
      const taskQueue = uniqueTaskQueue('cli-sel');
      const selected = matching(
        SELECTION_COUNT,
        (seed) => inGroup('4G West')(seed) && hasFields([{ key: 'CustomField1', value: 'Blue' }])(seed),
      );
      const fourG = selected.filter((n) => selectionDevice(n).type !== 'NB-IoT');
      const run = await withActivationWorkers(taskQueue, local.thingspace, () =>
        cli(
          ['activate', ...settings, '--group', '4G West', '--custom-field', 'CustomField1=Blue', ...fast],
          env(taskQueue),
        ),
      );
      expect(run.stderr).not.toMatch(/error/i);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /Started job activation-[0-9a-f]{20} \(group "4G West" \+ CustomField1=Blue; the selection is resolved when the job starts\)/,
      );
      const activated = ready(selected).length;
      expect(run.stdout).toContain(
        `${fourG.length} devices: ${activated} activated, 0 failed, ${fourG.length - activated} skipped`,
      );
      expect(run.stdout).toContain(
        `selection: ${fourG.length} devices (0 of them also listed), ${selected.length - fourG.length} NB-IoT devices left out`,
      );
      expect(submittedImeis(local)).toEqual(imeis(ready(selected)));
    } finally {
      await local.close();
    }
  }, 120_000);

  it('activates a device file and a group that overlap, each device once', async () => {
    const local = await startActivationFixture(selectionSeed(SELECTION_COUNT, 10));
    try {
      const taskQueue = uniqueTaskQueue('cli-sel');
      const group = matching(SELECTION_COUNT, inGroup('4G East'));
      const outside = ready(matching(SELECTION_COUNT, (seed) => !inGroup('4G East')(seed)));
      const listed = [ready(group)[0]!, ready(group)[1]!, outside[0]!];
      const file = join(dir, 'selection.csv');
      const line = (n: number) =>
        selectionDevice(n)
          .deviceIds.slice(0, 2)
          .map((d) => d.id)
          .join(',');
      await writeFile(file, ['IMEI,ICCID', ...listed.map(line)].join('\n') + '\n');
      const run = await withActivationWorkers(taskQueue, local.thingspace, () =>
        cli(['activate', file, ...settings, '--group', '4G East', ...fast], env(taskQueue)),
      );
      expect(run.stderr).not.toMatch(/error/i);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('(3 devices + group "4G East"; the selection is resolved when the job starts)');
      const fourG = group.filter((n) => selectionDevice(n).type !== 'NB-IoT');
      expect(run.stdout).toContain(`${fourG.length + 1} devices: ${ready(group).length + 1} activated`);
      expect(run.stdout).toContain(`selection: ${fourG.length} devices (2 of them also listed)`);
      expect(submittedImeis(local)).toEqual(imeis([...ready(group), outside[0]!]));
      expect(local.sim.admin.submissions().resubmitted).toEqual([]);
    } finally {
      await local.close();
    }
  }, 120_000);

  it('stores a file whose small requests would be more than a job sends, and starts the job on the stored list', async () => {
    const file = join(dir, 'small-requests.csv');
    await writeFile(file, csv(Array.from({ length: MAX_REQUESTS_PER_JOB + 1 }, (_, i) => row(800 + i))));
    const jobId = `cli-small-requests-${Date.now()}`;
    // No worker polls this task queue: only what the CLI started is looked at, then the job is terminated.
    const run = await cli(activate(file, '--job-id', jobId, '--max-devices-per-request', '1'), {
      ...env(),
      BLOB_STORE_URL: join(dir, 'store'),
    });
    expect(run.stderr).not.toMatch(/error|invalid/i);
    expect(run.code).toBe(0);
    const handle = temporal.client.workflow.getHandle(jobId);
    const history = await handle.fetchHistory();
    const data = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    const input = JSON.parse(Buffer.from(data!).toString('utf8')) as Record<string, unknown>;
    await handle.terminate('test: only the start is checked');
    expect(input).toMatchObject({
      deviceList: expect.stringMatching(/^device-lists\//),
      options: { maxDevicesPerRequest: 1 },
    });
    expect(input).not.toHaveProperty('devices');
  });
});
