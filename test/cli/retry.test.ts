import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { DeviceReport } from '../../src/activation/model.js';
import { ActivationClient, RetryRefusedError } from '../../src/client.js';
import { devicesToRetry } from '../../src/retry.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import {
  jobDevice,
  jobRequest,
  seedDevice,
  startActivationFixture,
  type ActivationFixture,
} from '../harness/activation.js';
import { cli, cliEnv } from '../harness/cli.js';
import { connectTestClient, uniqueTaskQueue, withActivationWorkers, type TestTemporal } from '../harness/temporal.js';

let temporal: TestTemporal;
let fixture: ActivationFixture;
// Devices 2 and 6 fail, 4 is already active, the rest activate.
const seeds = Array.from({ length: 8 }, (_, i) =>
  seedDevice(
    900 + i,
    i === 4 ? { state: 'active' } : i === 2 || i === 6 ? { outcome: { activation: 'failure', reason: 'Bad SIM' } } : {},
  ),
);
const failedKeys = [seeds[2]!, seeds[6]!].map((s) => deviceKey(s.deviceIds));
const FAST = { callbackTimeout: '1 second', pollInterval: '300 milliseconds', pollDeadline: '10 seconds' };

beforeAll(async () => {
  temporal = await connectTestClient();
  fixture = await startActivationFixture(seeds);
});
afterAll(async () => {
  await fixture.close();
  await temporal.close();
});

describe('retrying what a finished job left over', () => {
  it('starts a job for exactly the failed devices, linked by memo, and does not start it twice', async () => {
    const taskQueue = uniqueTaskQueue('retry');
    const activation = new ActivationClient(temporal.client, taskQueue);
    const jobId = `retry-src-${Date.now()}`;
    await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
      const { handle } = await activation.startJob({
        ...jobRequest(jobId, seeds, FAST),
        activation: { servicePlan: '4G-IoT-1GB', mdnZipCode: '98801', groupName: 'retry-group' },
      });
      expect((await handle.result()).counts).toMatchObject({ activated: 5, failed: 2, skipped: 1 });

      const run = await cli(['retry', jobId], cliEnv(taskQueue));
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Started job ${jobId}-retry-1 (2 devices failed or unresolved or unconfirmed`);

      const retry = await activation.request(`${jobId}-retry-1`);
      expect(retry.devices?.map((d) => deviceKey(d.deviceIds))).toEqual(failedKeys);
      // Same account, settings and options as the first job.
      expect(retry.activation).toEqual({ servicePlan: '4G-IoT-1GB', mdnZipCode: '98801', groupName: 'retry-group' });
      expect(retry.options).toEqual(FAST);
      const description = await activation.job(`${jobId}-retry-1`).describe();
      expect(description.memo).toMatchObject({
        retryOf: jobId,
        retryOutcomes: ['failed', 'unresolved', 'unconfirmed'],
      });
      const result = await activation.result(`${jobId}-retry-1`);
      expect(result.counts).toMatchObject({ total: 2, failed: 2 });

      // The same retry again finds the first one; the client says so too.
      const again = await cli(['retry', jobId, '--outcomes', 'unconfirmed,failed,unresolved'], cliEnv(taskQueue));
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`Already exists, not started again: job ${jobId}-retry-1 (2 devices`);
      await expect(activation.retry(jobId)).resolves.toMatchObject({ started: false, jobId: `${jobId}-retry-1` });

      // Another choice of outcomes is another retry, numbered on. The job's result lists all it left over (2 failed,
      // 1 skipped): no report is read for it.
      const reads = jest.spyOn(activation, 'report');
      const failedOnly = await activation.retry(jobId, { outcomes: ['failed'] });
      expect(failedOnly).toMatchObject({ started: true, jobId: `${jobId}-retry-2`, devices: 2 });
      expect(reads).not.toHaveBeenCalled();
      reads.mockRestore();
      await failedOnly.handle.result();

      // No unresolved device: refused, and nothing started.
      const none = await cli(['retry', jobId, '--outcomes', 'unresolved'], cliEnv(taskQueue));
      expect(none.code).toBe(1);
      expect(none.stderr).toContain(`error: Job ${jobId} has no unresolved device to retry; nothing was started.`);
      await expect(activation.job(`${jobId}-retry-3`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

      // Only the failed devices went to ThingSpace again: once per job (the first, retry-1, retry-2).
      const { resubmitted } = fixture.sim.admin.submissions();
      expect(resubmitted.map((r) => [deviceKey(r.deviceIds), r.submissions])).toEqual(failedKeys.map((k) => [k, 3]));
    });
  }, 120_000);

  it('refuses a job that has not finished, and names the rule for bad outcomes', async () => {
    const taskQueue = uniqueTaskQueue('retry-open');
    const activation = new ActivationClient(temporal.client, taskQueue);
    const jobId = `retry-open-${Date.now()}`;
    // No worker polls this queue: the job stays open.
    await activation.startJob(jobRequest(jobId, seeds.slice(0, 1)));
    try {
      const run = await cli(['retry', jobId], cliEnv(taskQueue));
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`error: Job ${jobId} has not finished yet`);
      await expect(activation.retry(jobId)).rejects.toBeInstanceOf(RetryRefusedError);
      await expect(activation.job(`${jobId}-retry-1`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

      const bad = await cli(['retry', jobId, '--outcomes', 'failed,activated'], cliEnv(taskQueue));
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain(
        'outcomes must be a comma-separated list of failed, unresolved, unconfirmed; got activated',
      );
      await expect(activation.retry(jobId, { outcomes: [] })).rejects.toThrow(/outcomes must name at least one/);
    } finally {
      await activation.job(jobId).terminate('test over');
    }
  });

  it('explains itself in --help', async () => {
    const help = await cli(['retry', '--help'], cliEnv());
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: thingspace-activation retry [options] <jobId>');
    expect(help.stdout).toContain('--outcomes <list>');
    expect(help.stdout).toContain('(default: failed,unresolved,unconfirmed)');
    expect(help.stdout).toContain('retryOf');
    const top = await cli(['--help'], cliEnv());
    expect(top.stdout).toMatch(/retry \[options\] <jobId>/);
  });

  it('picks devices by any outcome, unresolved and unconfirmed included, in the first job’s order', async () => {
    const request = jobRequest('x', seeds.slice(0, 4));
    const outcomes = ['unresolved', 'activated', 'unconfirmed', 'failed'];
    const report: DeviceReport[] = seeds.slice(0, 4).map((s, i) => ({
      key: deviceKey(s.deviceIds)!,
      deviceIds: s.deviceIds,
      assignedIds: [],
      outcome: outcomes[i] as DeviceReport['outcome'],
    }));
    async function* pages() {
      yield report.slice(2);
      yield report.slice(0, 2);
    }
    expect(await devicesToRetry(request, pages(), ['unresolved', 'unconfirmed'])).toEqual([
      jobDevice(seeds[0]!),
      jobDevice(seeds[2]!),
    ]);
    expect(await devicesToRetry(request, pages(), ['failed'])).toEqual([jobDevice(seeds[3]!)]);
  });
});
