/**
 * Issue 12: "a scan interrupted by a worker kill resumes from its cursor (count the list calls)". A job's check
 * scans 40 pages; the simulator holds the 31st list call, the test waits until Temporal has the heartbeat cursor
 * written after page 30, SIGKILLs the worker process, and starts another. The retried check must ask for the
 * pages it has not seen, not for the scan again: N + the page in flight, where starting over would cost k + 1 + N.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { WorkflowHandle } from '@temporalio/client';
import { ActivationClient } from '../../src/client.js';
import type { DeviceReport } from '../../src/activation/model.js';
import { planLookup } from '../../src/activities/lookup-plan.js';
import { ScanCursorSchema } from '../../src/activities/scan-cursor.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import { freePort } from '../../src/devserver/dev-server.js';
import { startProcess, type RunningProcess } from '../../src/devserver/processes.js';
import type { SeedDevice } from '../../src/simulator/index.js';
import { LISTENER } from '../webhook/fixtures.js';
import { jobRequest, seedDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { connectTestClient, uniqueTaskQueue, type TestTemporal } from '../harness/temporal.js';
import { testSeed } from '../harness/seed.js';
import { checkAgainstTruth } from './truth.js';
import { startWorkerProcess } from './worker-process.js';

/** Devices under one 12-digit IMEI prefix (seedDevice: `35000000` + 7-digit serial): serials 0..999. */
const PREFIX_DEVICES = 1_000;
const PREFIX = '350000000000';
/**
 * The plan costs a prefix at the assumed 500 devices a page (2 calls here); the simulator serves 25, as a ThingSpace
 * with smaller pages would: the one planned scan then takes 40 pages.
 */
const PAGE_SIZE = 25;
const PAGES = PREFIX_DEVICES / PAGE_SIZE;
/** Pages served before the worker is killed. */
const KILL_AFTER = 30;
const SEED = testSeed('scan-resume fault test', 'FAULT_SEED');

let temporal: TestTemporal;
let fixture: ActivationFixture;
let seeds: SeedDevice[];
let jobSeeds: SeedDevice[];
let webhook: RunningProcess;
beforeAll(async () => {
  temporal = await connectTestClient();
  const states = ['pre-active', 'pre-active', 'pre-active', 'deactive', 'active', 'suspend'] as const;
  seeds = Array.from({ length: PREFIX_DEVICES }, (_, i) => seedDevice(i, { state: states[i % states.length]! }));
  // Every tenth device, the last one included: the scan cannot stop before its last page.
  jobSeeds = seeds.filter((_, i) => i % 10 === 9);
  fixture = await startActivationFixture(seeds, {
    listPageSize: PAGE_SIZE,
    activationDelayMs: 200,
    activationJitterMs: 500,
    outcomes: { failureRate: 0.1 },
    pendingStateName: 'pending activation',
    randomSeed: SEED,
  });
  // Outcomes come by callback, through the real webhook process.
  const port = await freePort();
  for (const [name, path] of [
    ['CarrierService', '/callbacks/carrier-service'],
    ['NiddService', '/callbacks/nidd-service'],
  ] as const) {
    await fixture.thingspace.registerCallback({ name, url: `http://127.0.0.1:${port}${path}`, ...LISTENER });
  }
  webhook = startProcess('webhook', 'src/webhook/main.ts', {
    TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
    TEMPORAL_NAMESPACE: process.env.TEMPORAL_TEST_NAMESPACE,
    WEBHOOK_HOST: '127.0.0.1',
    WEBHOOK_PORT: String(port),
    CALLBACK_USERNAME: LISTENER.username,
    CALLBACK_PASSWORD: LISTENER.password,
  });
  await webhook.waitFor(/webhook ready for ThingSpace callbacks/);
});
afterAll(async () => {
  await webhook?.kill('SIGTERM');
  await fixture.close();
  await temporal.close();
});

/** The check's heartbeat cursor as the server holds it (what a retry will read), if it has one. */
async function serverCursor(handle: WorkflowHandle) {
  const { raw } = await handle.describe();
  const check = raw.pendingActivities?.find((a) => a.activityType?.name === 'checkDevices');
  if (!check?.heartbeatDetails?.payloads?.length) return undefined;
  const details = await decodeFromPayloadsAtIndex(
    temporal.client.options.loadedDataConverter,
    0,
    check.heartbeatDetails.payloads,
  );
  const cursor = ScanCursorSchema.safeParse(details);
  return cursor.success ? cursor.data : undefined;
}

/**
 * Polls the server until `accept` takes the cursor. The worker sends heartbeats at most every 0.8 × the heartbeat
 * timeout, so the cursor of the held page reaches the server up to 16 s after it was written: nothing to wait on
 * but the server's own answer.
 */
async function cursorOnServer(handle: WorkflowHandle, accept: (listCalls: number) => boolean, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const cursor = await serverCursor(handle);
    if (cursor && accept(cursor.listCalls)) return cursor;
    if (Date.now() > until)
      throw new Error(`no heartbeat cursor accepted within ${timeoutMs} ms (last: ${cursor?.listCalls})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `promise`, or a failure naming what did not happen, with what the worker printed last. */
async function within<T>(promise: Promise<T>, ms: number, what: string, output: () => string[]): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} not within ${ms} ms; worker:\n${output().slice(-30).join('\n')}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('fault: the worker is SIGKILLed in the middle of a 40-page check scan', () => {
  it('the retried check asks only for the pages not yet seen, and the job is right', async () => {
    // The setup is what the test means: one prefix scan (plus look-ups of other identifiers, only if missing).
    const plan = planLookup(
      jobSeeds.map((s) => ({ key: deviceKey(s.deviceIds)!, deviceIds: s.deviceIds })),
      {},
    );
    expect(plan.units.slice(0, plan.fallbackFrom)).toEqual([{ type: 'prefix', kind: 'imei', prefix: PREFIX }]);

    const taskQueue = uniqueTaskQueue('faults');
    const jobId = `faults-scan-resume-${Date.now()}`;
    const activation = new ActivationClient(temporal.client, taskQueue);
    let worker = startWorkerProcess(fixture.sim, taskQueue);
    try {
      await worker.waitFor(/Worker polling/);
      fixture.sim.admin.watchListCalls({ holdAfter: KILL_AFTER });
      const { handle } = await activation.startJob(
        // Callbacks arrive in well under a second; with a 10-minute window no request workflow polls (the same
        // prefix scan) during this test, so every list call watched is the check's.
        jobRequest(jobId, jobSeeds, { callbackTimeout: '10 minutes', pollInterval: '1 minute' }),
      );

      await within(fixture.sim.admin.listCallHeld(), 60_000, `list call ${KILL_AFTER + 1} held`, () => [
        ...worker.output,
        JSON.stringify(fixture.sim.admin.listWatch()).slice(0, 2000),
      ]);
      const heldAt = Date.now();
      const atKill = await cursorOnServer(handle, (calls) => calls >= KILL_AFTER);
      const killedAt = Date.now();
      await worker.kill('SIGKILL');
      // The held page goes to a dead worker: it was asked for, so it counts.
      fixture.sim.admin.releaseListCalls();
      worker = startWorkerProcess(fixture.sim, taskQueue);
      await worker.waitFor(/Worker polling/);

      const result = await within(handle.result(), 180_000, 'the job finished', () => worker.output);
      const report: DeviceReport[] = [];
      for await (const page of activation.report(jobId)) report.push(...page);
      const calls = fixture.sim.admin.listWatch().calls;
      fixture.sim.admin.stopListWatch();

      // The check ran twice: the killed attempt and the one that finished.
      const history = await handle.fetchHistory();
      const checkScheduled = history.events?.find(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'checkDevices',
      );
      const checkStarted = history.events?.find(
        (e) =>
          e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === checkScheduled?.eventId?.toString(),
      );
      const startedAt = checkStarted?.eventTime;
      const retryAfterMs =
        Number(startedAt?.seconds ?? 0) * 1000 + Math.floor((startedAt?.nanos ?? 0) / 1e6) - killedAt;

      const scan = calls.filter((c) => c.startswith === PREFIX && c.currentState === undefined);
      const firstPages = scan.filter((c) => c.largestDeviceIdSeen === undefined).length;
      const pagesSeen = new Map<string, number>();
      for (const c of scan)
        pagesSeen.set(c.largestDeviceIdSeen ?? '', (pagesSeen.get(c.largestDeviceIdSeen ?? '') ?? 0) + 1);
      const askedTwice = [...pagesSeen.values()].filter((n) => n > 1).length;
      const check = await checkAgainstTruth(fixture.sim, report);
      console.log(
        `seed ${SEED}: ${PAGES}-page scan, worker SIGKILLed with ${KILL_AFTER} pages served (server cursor: ` +
          `${atKill.listCalls} list calls, ${((killedAt - heldAt) / 1000).toFixed(1)} s after the hold); check attempt ${checkStarted?.activityTaskStartedEventAttributes?.attempt} ` +
          `started ${(retryAfterMs / 1000).toFixed(1)} s after the kill; list calls for the scan: ${scan.length} ` +
          `(restarting at page 1 would make ${KILL_AFTER + 1 + PAGES}), first page asked ${firstPages}×, ` +
          `${askedTwice} page(s) asked twice, ${calls.length} list calls in all; ${check.devices} devices checked, ` +
          `${check.wrong.length} wrong, ${check.duplicates} submitted twice, ${check.callbacksLost.length} callbacks ` +
          `lost; counts ${JSON.stringify(result.counts)}`,
      );

      expect(checkStarted?.activityTaskStartedEventAttributes?.attempt).toBe(2);
      // Every page once, plus at most the pages in flight at the kill; starting over would ask k + 1 + N.
      expect(scan.length).toBeGreaterThanOrEqual(PAGES);
      expect(scan.length).toBeLessThanOrEqual(PAGES + 2);
      expect(firstPages).toBe(1);
      expect(askedTwice).toBeLessThanOrEqual(2);
      expect(calls).toHaveLength(scan.length);

      expect(report).toHaveLength(jobSeeds.length);
      // Every submitted device was settled by its callback: no request workflow polled (see the job's options).
      const rows = new Map(report.map((row) => [row.key, row]));
      const submitted = fixture.sim.admin.devices({}).filter((d) => d.submissions > 0);
      expect(submitted.filter((d) => rows.get(deviceKey(d.deviceIds)!)?.source !== 'callback')).toEqual([]);
      expect(check.wrong).toEqual([]);
      expect(check.duplicates).toBe(0);
      expect(check.callbacksLost).toEqual([]);
      expect(fixture.sim.admin.submissions().resubmitted).toEqual([]);
      expect(result.counts.unresolved).toBe(0);
    } finally {
      fixture.sim.admin.stopListWatch();
      await worker.kill('SIGTERM');
    }
  }, 300_000);
});
