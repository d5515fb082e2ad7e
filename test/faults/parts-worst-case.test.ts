/**
 * A job long enough to run as part jobs, two of them checking and submitting at once, against ThingSpace at the
 * worst its documentation allows all at once: activate answers lost after ThingSpace acted, callbacks that beat the
 * answer, rate limits answered as 400s with an unknown code, activations with no pending state, NB-IoT results after
 * the line results (for failed lines too, and for devices the job did not flag), duplicated and reordered callbacks.
 * Once for a listed job, once for a device-group selection (resolved, stored and run in parts like a list).
 * Checked against the simulator's own record: none submitted twice, no callback lost, no outcome wrong.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEVICES_PER_PART, PARTS_IN_FLIGHT } from '../../src/activation/job-limits.js';
import type { DeviceReport } from '../../src/activation/model.js';
import { ActivationClient } from '../../src/client.js';
import { registerCallbacks } from '../../src/cli/register-callbacks.js';
import type { SeedDevice } from '../../src/simulator/index.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import {
  DEFAULT_ACCOUNT,
  jobDevice,
  jobRequest,
  nbIotDevice,
  seedDevice,
  startActivationFixture,
} from '../harness/activation.js';
import { uniqueTaskQueue, withActivationWorkers } from '../harness/temporal.js';
import { useTestTemporal } from '../harness/test-temporal.js';
import { LISTENER, startWebhook } from '../webhook/fixtures.js';
import { checkAgainstTruth } from './truth.js';

const temporal = useTestTemporal();

/** Three parts: two in flight from the start, the third once one of them has submitted. */
const DEVICES = 2 * DEVICES_PER_PART + 5_000;
const PER_REQUEST = 2_500;
const GROUP = 'fleet-worst-case';
/**
 * The account's devices: the job's (one NB-IoT device in 40) and, one number in 11, 2,500 of another group between
 * them, so a look-up or a selection that leaked would submit some of those.
 */
function accountSeeds(first: number): { mine: SeedDevice[]; others: SeedDevice[] } {
  const mine: SeedDevice[] = [];
  const others: SeedDevice[] = [];
  for (let n = first; mine.length < DEVICES || others.length < 2_500; n++) {
    if ((n - first) % 11 === 10) {
      others.push(seedDevice(n, { groupNames: ['someone-else'] }));
      continue;
    }
    const extra = { groupNames: [GROUP] };
    mine.push(mine.length % 40 === 3 ? nbIotDevice(n, extra) : seedDevice(n, extra));
  }
  return { mine, others };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parts-worst-case-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.each([
  { how: 'listed', first: 600_000 },
  { how: 'selected by group', first: 700_000 },
])(
  'fault: a job of three parts ($how), two in flight, against ThingSpace at its documented worst',
  ({ how, first }) => {
    it('submits every device once, loses no callback and reports every device as the simulator recorded it', async () => {
      expect(PARTS_IN_FLIGHT).toBe(2);
      const { mine, others } = accountSeeds(first);
      const fixture = await startActivationFixture([...mine, ...others], {
        // Activations of 1-6 s, no pending state, no history entry before they complete: a watch over a lost
        // answer sees nothing for a while. The answer is held 1.5 s, so many callbacks come before it.
        activationDelayMs: 1_000,
        activationJitterMs: 5_000,
        activateResponseDelayMs: 1_500,
        pendingStateName: null,
        callbackDelayMs: 200,
        niddDelayMs: 2_000,
        callbackConcurrency: 128,
        rateLimitResponse: '400',
        rateLimitErrorCode: 'UnifiedWebService.REQUEST_FAILED.Undocumented',
        activateRateLimit: { max: 2, windowMs: 4_000 },
        outcomes: { failureRate: 0.05, niddFailureRate: 0.3, dropRate: 0, duplicateRate: 0.1, reorder: true },
        randomSeed: 7,
      });
      // The answers to the first four requests ThingSpace takes are lost (three connections cut, one HTTP 500):
      // both parts in flight submit at once, so both lose some.
      fixture.sim.admin.scheduleFault({ kind: 'ambiguous-drop', route: 'activate', count: 3 });
      fixture.sim.admin.scheduleFault({ kind: 'ambiguous-500', route: 'activate', count: 1 });
      const taskQueue = uniqueTaskQueue('parts-worst');
      const webhook = await startWebhook({ client: temporal.client }, { taskQueue, batchWindowMs: 50 });
      await registerCallbacks(fixture.thingspace, { url: webhook.url, credentials: LISTENER });
      const store = new FileBlobStore(dir);
      const activation = new ActivationClient(temporal.client, taskQueue, store);
      const jobId = `parts-worst-${first}-${Date.now()}`;
      try {
        const { devices: _listed, ...request } = jobRequest(jobId, [], {
          maxDevicesPerRequest: PER_REQUEST,
          callbackTimeout: '10 minutes',
          pollInterval: '2 seconds',
        });
        const job =
          how === 'listed'
            ? {
                ...request,
                // Half the NB-IoT devices go unflagged: only ThingSpace's own DeviceType tells the job to await
                // their NIDD results.
                devices: mine.map((seed, i) => (i % 80 === 3 ? { deviceIds: seed.deviceIds } : jobDevice(seed))),
              }
            : { ...request, selection: { groupName: GROUP, includeNbIot: true } };
        const { result, report } = await withActivationWorkers(
          taskQueue,
          fixture.thingspace,
          async () => {
            const { handle } = await activation.startJob(job);
            const result = await handle.result();
            const rows: DeviceReport[] = [];
            for await (const page of activation.report(jobId)) rows.push(...page);
            return { result, report: rows };
          },
          { store },
        );
        const check = await checkAgainstTruth(fixture.sim, report);
        const submissions = fixture.sim.admin.submissions();
        const throttled = fixture.sim.admin.activateRateLimited(DEFAULT_ACCOUNT);
        const bySource = { callback: 0, poll: 0 };
        for (const row of report) if (row.source) bySource[row.source]++;
        console.log(
          `fault: three parts (${how}), two in flight, under 4 lost answers, early callbacks, ${throttled} rate ` +
            `limits as 400s and late NIDD; devices checked ${report.length}, wrong ${check.wrong.length}, duplicates ` +
            `submitted ${check.duplicates}, callbacks lost ${check.callbacksLost.length}; settled by callback ` +
            `${bySource.callback}, by poll ${bySource.poll}`,
        );
        // The faults happened: every lost answer was dealt out, and the rate limit refused calls.
        expect(fixture.sim.admin.scheduledFaults()).toEqual([]);
        expect(throttled).toBeGreaterThan(0);

        expect(result.phase).toBe('done');
        expect(result.parts?.map((p) => p.devices)).toEqual([DEVICES_PER_PART, DEVICES_PER_PART, 5_000]);
        // Exactly the job's devices, each once; the other group's were never touched.
        const keys = new Set(report.map((r) => r.key));
        expect(keys.size).toBe(DEVICES);
        expect(report).toHaveLength(DEVICES);
        expect(mine.filter((seed) => !keys.has(deviceKey(seed.deviceIds) ?? ''))).toEqual([]);
        expect(check.wrong).toEqual([]);
        expect(check.duplicates).toBe(0);
        expect(check.callbacksLost).toEqual([]);
        expect(submissions.resubmitted).toEqual([]);
        expect(submissions.totalSubmissions).toBe(DEVICES);
        // Every device was taken, so every outcome is known: none left unconfirmed or unresolved.
        expect(result.counts).toMatchObject({ total: DEVICES, pending: 0, unconfirmed: 0, unresolved: 0 });
        expect(result.counts.activated + result.counts.failed).toBe(DEVICES);
        // No callback was dropped, so none was left for polling to learn, lost answers' devices included.
        expect(bySource).toEqual({ callback: DEVICES, poll: 0 });
      } finally {
        await webhook.close();
        await fixture.close();
      }
    }, 480_000);
  },
);
