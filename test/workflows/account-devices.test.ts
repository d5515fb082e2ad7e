import { describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection } from '@temporalio/worker';
import { createClaimActivities, type ClaimActivities } from '../../src/activities/device-claims.js';
import type { ClaimDevicesResult } from '../../src/activities/types.js';
import {
  accountDevices,
  accountDevicesWorkflowId,
  deviceClaimsQuery,
  type AccountDevicesInput,
} from '../../src/workflows/account-devices.js';
import { coordinatorTaskQueue } from '../../src/task-queues.js';
import { createWorkers } from '../../src/workers.js';
import { runWorkersUntil } from '../harness/workers.js';
import { startActivationFixture } from '../harness/activation.js';
import { uniqueTaskQueue, withWorker } from '../harness/temporal.js';
import { useTestTemporal } from '../harness/test-temporal.js';

const temporal = useTestTemporal();

const HOUR = 3_600_000;
// The refusals below are expected; the activity's own WARN line about them is noise here.
const quiet = new DefaultLogger('ERROR');
const key = (n: number) => `imei:35000000${String(n).padStart(7, '0')}`;
const keys = (from: number, count: number) => Array.from({ length: count }, (_, i) => key(from + i));

/** A fresh account per test: the coordinator is per account, and the dev server outlives the test. */
function scenario() {
  const taskQueue = uniqueTaskQueue('claims');
  const accountName = `acct-${taskQueue}`;
  const activities = createClaimActivities(temporal.client, { taskQueue });
  // Real activity context (heartbeats, info), as a worker would give it.
  const run = <K extends keyof ClaimActivities>(name: K, ...args: Parameters<ClaimActivities[K]>) =>
    new MockActivityEnvironment({ taskQueue }, { logger: quiet }).run(activities[name] as never, ...args) as ReturnType<
      ClaimActivities[K]
    >;
  const coordinator = () =>
    temporal.client.workflow.getHandle<typeof accountDevices>(accountDevicesWorkflowId(accountName));
  return { taskQueue, accountName, run, coordinator };
}

/** The keys a claim was granted: every key of the input that `taken` does not list. */
function granted(input: string[], result: ClaimDevicesResult): string[] {
  const taken = new Set(result.taken.map((t) => t.index));
  return input.filter((_, index) => !taken.has(index));
}

describe('accountDevices coordinator and the claim activities (real dev server)', () => {
  it('gives each of 1,000 devices to exactly one of two jobs claiming them at once, and to the other on release', async () => {
    const { taskQueue, accountName, run, coordinator } = scenario();
    const devices = keys(0, 1_000);
    const until = Date.now() + 24 * HOUR;
    await withWorker(taskQueue, async () => {
      // Both calls race to create the coordinator too (update-with-start, USE_EXISTING).
      const [a, b] = await Promise.all([
        run('claimDevices', { accountName, jobId: 'job-a', keys: devices, until }),
        run('claimDevices', { accountName, jobId: 'job-b', keys: devices, until }),
      ]);
      const grantedA = granted(devices, a);
      const grantedB = granted(devices, b);
      expect(grantedA.length + grantedB.length).toBe(1_000);
      expect(new Set([...grantedA, ...grantedB]).size).toBe(1_000);
      for (const t of a.taken) expect(t.jobId).toBe('job-b');
      for (const t of b.taken) expect(t.jobId).toBe('job-a');
      const claims = await coordinator().query(deviceClaimsQuery);
      expect(claims.total).toBe(1_000);

      // A retried claim (activity retry) is answered the same.
      const [winner, loser] = grantedA.length === 1_000 ? ['job-a', 'job-b'] : ['job-b', 'job-a'];
      const again = await run('claimDevices', { accountName, jobId: winner!, keys: devices, until });
      expect(again.taken).toEqual([]);

      expect(await run('releaseDevices', { accountName, jobId: winner!, keys: devices.slice(0, 100) })).toEqual({
        released: 100,
      });
      const partial = await run('claimDevices', { accountName, jobId: loser!, keys: devices, until });
      expect(granted(devices, partial)).toEqual(devices.slice(0, 100));
      expect(await run('releaseDevices', { accountName, jobId: winner! })).toEqual({ released: 900 });
      const rest = await run('claimDevices', { accountName, jobId: loser!, keys: devices, until });
      expect(rest.taken).toEqual([]);
      expect(await coordinator().query(deviceClaimsQuery)).toEqual({
        jobs: [{ jobId: loser, devices: 1_000, until }],
        total: 1_000,
      });
    });
  });

  it('sends 12,000 keys 5,000 at a time and reports taken keys by their index in the whole input', async () => {
    const { taskQueue, accountName, run, coordinator } = scenario();
    const until = Date.now() + HOUR;
    await withWorker(taskQueue, async () => {
      const first = await run('claimDevices', { accountName, jobId: 'big', keys: keys(0, 12_000), until });
      expect(first.taken).toEqual([]);
      // Overlaps the last 1,000 keys of `big`, across the second update's boundary of 5,000.
      const overlap = keys(11_000, 6_000);
      const second = await run('claimDevices', { accountName, jobId: 'other', keys: overlap, until });
      expect(second.taken).toEqual(Array.from({ length: 1_000 }, (_, index) => ({ index, jobId: 'big' })));
      expect(await coordinator().query(deviceClaimsQuery)).toMatchObject({ total: 17_000 });
      expect(await run('releaseDevices', { accountName, jobId: 'big', keys: keys(0, 12_000) })).toEqual({
        released: 12_000,
      });
    });
    const history = await coordinator().fetchHistory();
    const updates = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const sizes = updates.map((e) => {
      const payload = e.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.args!.payloads![0]!;
      return payload.data!.length;
    });
    // 3 claims of `big` (5,000 + 5,000 + 2,000), 2 of `other` (5,000 + 1,000), 3 releases.
    expect(updates).toHaveLength(8);
    expect(Math.max(...sizes)).toBeLessThan(512 * 1024);
  });

  it('refuses a claim whose until has passed, naming the field, without retrying', async () => {
    const { taskQueue, accountName, run } = scenario();
    await withWorker(taskQueue, async () => {
      await expect(
        run('claimDevices', { accountName, jobId: 'late', keys: [key(1)], until: Date.now() - 1 }),
      ).rejects.toMatchObject({
        type: 'InvalidClaimRequest',
        nonRetryable: true,
        message: expect.stringMatching(/^claimDevices: until must be later than/),
      });
      await expect(run('releaseDevices', { accountName: ' ', jobId: 'x' })).rejects.toMatchObject({
        message: 'accountName must be a non-empty string',
        nonRetryable: true,
      });
    });
  });

  it('continues as new under load and keeps every claim; concurrent claims still get each key once', async () => {
    const { taskQueue, accountName, run, coordinator } = scenario();
    const until = Date.now() + HOUR;
    await withWorker(taskQueue, async () => {
      // Started by hand with a low bound; the activities' update-with-start reaches this run (USE_EXISTING).
      const input: AccountDevicesInput = { accountName, historyLimit: 30 };
      const first = await temporal.client.workflow.start(accountDevices, {
        taskQueue,
        workflowId: accountDevicesWorkflowId(accountName),
        args: [input],
      });
      // 20 jobs, each claiming 50 keys that overlap its neighbour's by 25, all at once: about 100 history events.
      const jobs = Array.from({ length: 20 }, (_, n) => ({ jobId: `job-${n}`, keys: keys(n * 25, 50) }));
      const results = await Promise.all(jobs.map((job) => run('claimDevices', { accountName, ...job, until })));
      const holder = new Map<string, string>();
      results.forEach((result, n) => {
        for (const k of granted(jobs[n]!.keys, result)) {
          expect(holder.get(k)).toBeUndefined();
          holder.set(k, jobs[n]!.jobId);
        }
      });
      expect(holder.size).toBe(19 * 25 + 50);
      // Release a few to leave a mixed state, then keep claiming sequentially to push past several runs.
      for (let n = 0; n < 20; n += 2) await run('releaseDevices', { accountName, jobId: `job-${n}` });
      for (let n = 0; n < 20; n += 2) {
        const again = await run('claimDevices', { accountName, jobId: `job-${n}`, keys: jobs[n]!.keys, until });
        for (const k of granted(jobs[n]!.keys, again)) holder.set(k, `job-${n}`);
      }
      // Walk the chain of runs from the first one: several continue-as-new happened, under concurrent updates.
      let runs = 1;
      for (let runId: string | undefined = first.firstExecutionRunId; ; runs++) {
        const history = await temporal.client.workflow.getHandle(first.workflowId, runId).fetchHistory();
        runId = history.events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
        if (!runId) break;
      }
      expect(runs).toBeGreaterThanOrEqual(3);
      // Every device is still held by exactly the job that was last granted it, across the runs.
      const claims = await coordinator().query(deviceClaimsQuery);
      expect(claims.total).toBe(holder.size);
      const perJob = new Map<string, number>();
      for (const jobId of holder.values()) perJob.set(jobId, (perJob.get(jobId) ?? 0) + 1);
      expect(new Map(claims.jobs.map((j) => [j.jobId, j.devices]))).toEqual(perJob);
      // And the new run still refuses other jobs' keys.
      const late = await run('claimDevices', { accountName, jobId: 'late', keys: keys(0, 525), until });
      expect(late.taken).toHaveLength(holder.size);
    });
  });

  it("runs in the product workers: the main queue claims through a client built on the worker connection, on the coordinators' own queue", async () => {
    const fixture = await startActivationFixture([]);
    const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_TEST_ADDRESS! });
    try {
      const taskQueue = uniqueTaskQueue('claims');
      const accountName = `acct-${taskQueue}`;
      const workers = await createWorkers({
        connection,
        namespace: temporal.namespace,
        taskQueue,
        thingspace: fixture.thingspace,
        workflowBundle: { codePath: process.env.TEMPORAL_TEST_WORKFLOW_BUNDLE! },
        coordinatorIdSuffix: taskQueue,
      });
      const registered = workers[0]!.options.activities;
      expect([...registered.keys()]).toEqual(
        expect.arrayContaining(['checkDevices', 'claimDevices', 'releaseDevices']),
      );
      await runWorkersUntil(
        workers,
        (async () => {
          const env = new MockActivityEnvironment({ taskQueue }, { logger: quiet });
          const input = { accountName, jobId: 'job', keys: keys(0, 10), until: Date.now() + HOUR };
          expect(await env.run(registered.get('claimDevices')!, input)).toEqual({ taken: [] });
          const handle = temporal.client.workflow.getHandle(accountDevicesWorkflowId(accountName, taskQueue));
          // A queue of its own, served with a cache of its own: request workflows cannot evict it.
          expect((await handle.describe()).taskQueue).toBe(coordinatorTaskQueue(taskQueue));
          expect(await handle.query(deviceClaimsQuery)).toMatchObject({ total: 10 });
        })(),
      );
    } finally {
      await connection.close();
      await fixture.close();
    }
  });
});
