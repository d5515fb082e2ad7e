/**
 * The request workflow's hours-long defaults, run for real on virtual time (Temporal's time-skipping test server):
 * no option shortens the 12-hour callback wait or the 15-minute poll interval, and the activities poll the
 * simulator over HTTP. Time only moves while a test awaits `result()` or `env.sleep()`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CallbackRecord, ExpectedDevice } from '../../src/activation/model.js';
import type { SeedDevice } from '../../src/simulator/index.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import {
  activationRequest,
  callbacksSignal,
  requestProgressQuery,
  requestReportQuery,
  requestWorkflowId,
} from '../../src/workflows/request.js';
import {
  DEFAULT_ACCOUNT,
  nbIotDevice,
  seedDevice,
  startActivationFixture,
  type ActivationFixture,
} from '../harness/activation.js';
import { uniqueTaskQueue } from '../harness/temporal.js';
import { startTimeSkipping, withTimeSkippingWorkers } from '../harness/time-skipping.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let env: TestWorkflowEnvironment;
let fixture: ActivationFixture;
// Active in the account, its callback lost: the first poll settles it.
const activeWithoutCallback = seedDevice(1, { state: 'active' });
// Never activated and no activation history: no poll can settle it.
const neverActivated = seedDevice(2);
const quiet = seedDevice(3);
// An NB-IoT device whose activation fails: ThingSpace still owes its NiddService callback.
const nbIotFailing = nbIotDevice(4);

beforeAll(async () => {
  [env, fixture] = await Promise.all([
    startTimeSkipping(),
    startActivationFixture([activeWithoutCallback, neverActivated, quiet]),
  ]);
}, 180_000); // the first run on a machine fetches the test server from Maven Central (about 40 s measured)
afterAll(async () => {
  await Promise.all([env?.teardown(), fixture?.close()]);
});

function expected(seed: SeedDevice): ExpectedDevice {
  return { key: deviceKey(seed.deviceIds)!, deviceIds: seed.deviceIds, ...(seed.type === 'NB-IoT' && { nbIot: true }) };
}

/** A request with nothing but the required input: every timing is the workflow's default. */
function startRequest(taskQueue: string, requestId: string, seeds: SeedDevice[]) {
  return env.client.workflow.start(activationRequest, {
    taskQueue,
    workflowId: requestWorkflowId(requestId),
    args: [
      { requestId, accountName: DEFAULT_ACCOUNT, submittedAt: new Date().toISOString(), devices: seeds.map(expected) },
    ],
  });
}

const failedLine: CallbackRecord = {
  service: 'CarrierService',
  deviceIds: nbIotFailing.deviceIds,
  success: false,
  status: 'Failed',
  reason: 'Device is suspended',
  assignedIds: [],
};
const niddFailed: CallbackRecord = {
  service: 'NiddService',
  deviceIds: nbIotFailing.deviceIds,
  success: false,
  status: 'ConfigFailed',
  reason: 'Device activation failed',
  assignedIds: [],
};

const eventMs = (event: temporal.api.history.v1.IHistoryEvent) =>
  Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);

describe('activationRequest on virtual time, with its default timings', () => {
  it('waits 12 hours for callbacks, then polls every 15 minutes until the poll deadline', async () => {
    const taskQueue = uniqueTaskQueue('vtime');
    // Queries need a worker, closed workflow or not: they run inside the workers' lifetime.
    const { handle, result, report } = await withTimeSkippingWorkers(env, taskQueue, fixture.thingspace, async () => {
      const handle = await startRequest(taskQueue, `vt-${Date.now()}-poll`, [activeWithoutCallback, neverActivated]);
      expect((await handle.query(requestProgressQuery)).phase).toBe('awaiting-callbacks');
      const result = await handle.result();
      return { handle, result, report: await handle.query(requestReportQuery, { offset: 0, limit: 10 }) };
    });

    const events = (await handle.fetchHistory()).events ?? [];
    const started = eventMs(events[0]!);
    const polls = events
      .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'pollDevices')
      .map((event) => eventMs(event) - started);
    const gaps = polls.slice(1).map((at, n) => at - polls[n]!);
    console.log(
      `${polls.length} polls, first at ${(polls[0]! / HOUR).toFixed(3)} h, last at ${(polls.at(-1)! / HOUR).toFixed(3)} h`,
    );

    // No poll before the 12-hour callback wait is over; the first one right after it.
    expect(polls[0]).toBeGreaterThanOrEqual(12 * HOUR);
    expect(polls[0]).toBeLessThan(12 * HOUR + MINUTE);
    // Polls 15 minutes apart (plus the poll's own run time, which is real time), and more than one of them.
    expect(gaps.length).toBeGreaterThan(1);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(15 * MINUTE);
      expect(gap).toBeLessThan(16 * MINUTE);
    }
    // Polling ends at the poll deadline (12 hours after it began by default) with the device still open.
    expect(polls.at(-1)).toBeLessThan(24 * HOUR);
    expect(eventMs(events.at(-1)!) - started).toBeGreaterThanOrEqual(24 * HOUR);

    expect(result.phase).toBe('done');
    expect(result.counts).toMatchObject({ activated: 1, unresolved: 1, pending: 0 });
    expect(result.notActivated).toEqual([
      expect.objectContaining({ key: expected(neverActivated).key, outcome: 'unresolved' }),
    ]);
    expect(report.find((r) => r.key === expected(activeWithoutCallback).key)).toMatchObject({
      outcome: 'activated',
      source: 'poll',
    });
  });

  it('settles by callback when the callback arrives at 11 h 59 min, without polling', async () => {
    const taskQueue = uniqueTaskQueue('vtime');
    const key = expected(quiet).key;
    const callback: CallbackRecord = {
      service: 'CarrierService',
      deviceIds: quiet.deviceIds.map(({ kind, id }) => ({ kind: kind.toUpperCase(), id })),
      success: true,
      status: 'Success',
      assignedIds: [{ kind: 'mdn', id: '5096300003' }],
      state: 'Active',
    };
    const { handle, result, waited, report } = await withTimeSkippingWorkers(
      env,
      taskQueue,
      fixture.thingspace,
      async () => {
        const handle = await startRequest(taskQueue, `vt-${Date.now()}-late-callback`, [quiet]);
        const before = await env.currentTimeMs();
        await env.sleep(11 * HOUR + 59 * MINUTE);
        const waited = (await env.currentTimeMs()) - before;
        expect((await handle.query(requestProgressQuery)).phase).toBe('awaiting-callbacks');
        await handle.signal(callbacksSignal, [callback]);
        const result = await handle.result();
        return { handle, result, waited, report: await handle.query(requestReportQuery, { offset: 0, limit: 10 }) };
      },
    );

    expect(waited).toBeGreaterThanOrEqual(11 * HOUR + 59 * MINUTE);
    expect(waited).toBeLessThan(12 * HOUR);
    expect(result.counts).toMatchObject({ total: 1, activated: 1, pending: 0 });
    expect(result.callbacks).toMatchObject({ applied: 1 });
    expect(report).toEqual([expect.objectContaining({ key, outcome: 'activated', source: 'callback' })]);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((event) => event.activityTaskScheduledEventAttributes)).toEqual([]);
    expect(eventMs(events.at(-1)!) - eventMs(events[0]!)).toBeLessThan(12 * HOUR);
  });

  it('waits for the NIDD result of an NB-IoT device whose line failed, and reports it when it comes 2 hours later', async () => {
    const taskQueue = uniqueTaskQueue('vtime');
    const { result, waited, progress, report } = await withTimeSkippingWorkers(
      env,
      taskQueue,
      fixture.thingspace,
      async () => {
        const handle = await startRequest(taskQueue, `vt-${Date.now()}-nidd-late`, [nbIotFailing]);
        await handle.signal(callbacksSignal, [failedLine]);
        const before = await env.currentTimeMs();
        await env.sleep(2 * HOUR);
        const progress = await handle.query(requestProgressQuery);
        await handle.signal(callbacksSignal, [niddFailed]);
        const result = await handle.result();
        const waited = (await env.currentTimeMs()) - before;
        return { result, waited, progress, report: await handle.query(requestReportQuery, { offset: 0, limit: 10 }) };
      },
    );

    // The outcome is known at once; only the NIDD column is still open.
    expect(progress).toMatchObject({ phase: 'awaiting-callbacks', awaitingNidd: 1 });
    expect(progress.counts).toMatchObject({ failed: 1, pending: 0 });
    expect(waited).toBeGreaterThanOrEqual(2 * HOUR);
    expect(result.callbacks).toMatchObject({ applied: 2, late: 0 });
    expect(result.awaitingNidd).toBeUndefined();
    expect(report).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        source: 'callback',
        reason: 'Device is suspended',
        nidd: 'failed',
        niddReason: 'Device activation failed',
      }),
    ]);
  });

  it('ends at the callback deadline, without polling, when the NIDD result of a failed device never comes', async () => {
    const taskQueue = uniqueTaskQueue('vtime');
    const { handle, result } = await withTimeSkippingWorkers(env, taskQueue, fixture.thingspace, async () => {
      const handle = await startRequest(taskQueue, `vt-${Date.now()}-nidd-never`, [nbIotFailing]);
      await handle.signal(callbacksSignal, [failedLine]);
      return { handle, result: await handle.result() };
    });

    const events = (await handle.fetchHistory()).events ?? [];
    const lasted = eventMs(events.at(-1)!) - eventMs(events[0]!);
    expect(lasted).toBeGreaterThanOrEqual(12 * HOUR);
    expect(lasted).toBeLessThan(12 * HOUR + MINUTE);
    expect(events.filter((event) => event.activityTaskScheduledEventAttributes)).toEqual([]);
    expect(result.counts).toMatchObject({ total: 1, failed: 1, pending: 0 });
    expect(result.notActivated).toEqual([expect.objectContaining({ outcome: 'failed', source: 'callback' })]);
    expect(result.notActivated[0]?.nidd).toBeUndefined();
  });
});
