/**
 * The job workflow's refused and retries-exhausted paths, on virtual time (Temporal's time-skipping
 * test server) with real activities against the simulator: twenty 429s with their backoff take a quarter of an hour
 * of workflow time and well under a minute of real time.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { RequestWorkflowInput } from '../../src/activation/model.js';
import type { PollDevicesInput } from '../../src/activities/types.js';
import type { SeedDevice } from '../../src/simulator/index.js';
import { activationJob } from '../../src/workflows/job.js';
import { jobRequest, seedDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { uniqueTaskQueue } from '../harness/temporal.js';
import { startTimeSkipping, withTimeSkippingWorkers } from '../harness/time-skipping.js';

const seeds = Array.from({ length: 6 }, (_, n) => seedDevice(400 + n));
let env: TestWorkflowEnvironment;
let fixture: ActivationFixture;

beforeAll(async () => {
  fixture = await startActivationFixture(seeds);
});
// A test server of its own per test: time is global to one, and a workflow left over by an earlier test (the
// account's claims coordinator stays open) must not hold time still for the next.
beforeEach(async () => {
  env = await startTimeSkipping();
}, 180_000); // the first run on a machine fetches the test server from Maven Central
afterEach(async () => {
  fixture.sim.admin.clearFaults();
  await env?.teardown();
});
afterAll(async () => {
  await fixture?.close();
});

function startJob(taskQueue: string, name: string, devices: SeedDevice[], maxDevicesPerRequest?: number) {
  const jobId = `vt-job-${name}-${Date.now()}`;
  return env.client.workflow.start(activationJob, {
    taskQueue,
    workflowId: jobId,
    args: [jobRequest(jobId, devices, maxDevicesPerRequest ? { maxDevicesPerRequest } : undefined)],
  });
}

const submissions = () => fixture.sim.admin.submissions().totalSubmissions;

describe('activationJob on virtual time', () => {
  it('reports every device of a refused activate as failed with the refusal, and starts no request', async () => {
    const taskQueue = uniqueTaskQueue('vtime-job');
    const { maxDevicesPerActivate } = fixture.sim.admin.getConfig();
    fixture.sim.admin.setConfig({ maxDevicesPerActivate: 1 });
    const before = submissions();
    try {
      const result = await withTimeSkippingWorkers(env, taskQueue, fixture.thingspace, async () => {
        const handle = await startJob(taskQueue, 'refused', seeds.slice(0, 2), 2);
        return handle.result();
      });
      expect(result.phase).toBe('done');
      expect(result.counts).toMatchObject({ total: 2, failed: 2, activated: 0, pending: 0 });
      expect(result.requests).toEqual([]);
      expect(result.notActivated.map((r) => r.reason)).toEqual([
        expect.stringMatching(/^activate refused \(.+\): .*at most 1 devices/),
        expect.stringMatching(/^activate refused \(.+\): .*at most 1 devices/),
      ]);
      expect(submissions()).toBe(before);
    } finally {
      fixture.sim.admin.setConfig({ maxDevicesPerActivate });
    }
  }, 240_000); // virtual hours, but each of the 20 rounds is real work on a loaded machine

  it('gives up after 20 attempts refused with 429, backing off between them, and never submits', async () => {
    const taskQueue = uniqueTaskQueue('vtime-job');
    fixture.sim.admin.scheduleFault({ kind: '429', route: 'activate', count: 20 });
    const before = submissions();
    const { handle, result } = await withTimeSkippingWorkers(env, taskQueue, fixture.thingspace, async () => {
      const handle = await startJob(taskQueue, 'exhausted', seeds.slice(2, 3));
      return { handle, result: await handle.result() };
    });
    expect(result.counts).toMatchObject({ total: 1, failed: 1, pending: 0 });
    expect(result.notActivated[0]?.reason).toMatch(/^not submitted: ThingSpace refused the request 20 times; last: /);
    expect(result.requests).toEqual([]);
    expect(submissions()).toBe(before);
    expect(fixture.sim.admin.scheduledFaults()).toEqual([]);

    const events = (await handle.fetchHistory()).events ?? [];
    const attempts = events.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'submitActivation',
    );
    expect(attempts).toHaveLength(20);
    // Backoff 1, 2, 4 … 32 s, then 60 s: at least 843 s of workflow time between the first and last attempt.
    const seconds = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0);
    expect(seconds(attempts.at(-1)!) - seconds(attempts[0]!)).toBeGreaterThanOrEqual(843);
  }, 240_000); // virtual hours, but each of the 20 rounds is real work on a loaded machine

  it("shares a poll's history look-ups among the job's requests by size: 10 requests of 100 look up 20 each", async () => {
    const taskQueue = uniqueTaskQueue('vtime-job');
    // No callback listener is registered here: every request waits out its 12 hours and polls.
    const devices = Array.from({ length: 1_000 }, (_, n) => seedDevice(20_000 + n));
    fixture.sim.admin.addDevices(devices);
    const { result, inputs } = await withTimeSkippingWorkers(env, taskQueue, fixture.thingspace, async () => {
      const handle = await startJob(taskQueue, 'share', devices, 100);
      const result = await handle.result();
      const converter = env.client.options.loadedDataConverter;
      const inputs = await Promise.all(
        result.requests.map(async ({ workflowId }) => {
          const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
          const started = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
          const firstPoll = events.find(
            (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'pollDevices',
          )?.activityTaskScheduledEventAttributes?.input?.payloads;
          return {
            request: await decodeFromPayloadsAtIndex<RequestWorkflowInput>(converter, 0, started),
            poll: await decodeFromPayloadsAtIndex<PollDevicesInput>(converter, 0, firstPoll ?? []),
          };
        }),
      );
      return { result, inputs };
    });
    expect(result.counts).toMatchObject({ total: 1_000, activated: 1_000, pending: 0 });
    expect(inputs).toHaveLength(10);
    for (const { request, poll } of inputs) {
      expect(request.jobDevices).toBe(1_000);
      // All 100 open at the first poll; the job's minimum of 200 split ten ways. Alone, each would look up all 100.
      expect(poll.devices).toHaveLength(100);
      expect(poll.historyKeys).toHaveLength(20);
    }
  }, 240_000);
});
