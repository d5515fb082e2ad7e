import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobResult } from '../../src/activation/job-result.js';
import type { JobRequestInput } from '../../src/activation/job.js';
import type { DeviceReport, RequestResult } from '../../src/activation/model.js';
import { ActivationClient } from '../../src/client.js';
import type { ConfigPatch, SeedDevice } from '../../src/simulator/index.js';
import {
  jobRequest,
  nbIotDevice,
  seedDevice,
  startActivationFixture,
  type ActivationFixture,
} from '../harness/activation.js';
import { uniqueTaskQueue, withActivationWorkers } from '../harness/temporal.js';
import { useTestTemporal } from '../harness/test-temporal.js';
import { registerCallbacks } from '../../src/cli/register-callbacks.js';
import { carrierBody, LISTENER, startWebhook, testDevice, type RunningWebhook } from '../webhook/fixtures.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import { inboxQuery, inboxWorkflowId } from '../../src/workflows/inbox.js';
import { lateInboxesOfJob } from '../../src/cli/inboxes.js';
import { cli, cliEnv } from '../harness/cli.js';
import { eventually } from '../harness/eventually.js';
import { checkAgainstTruth } from './truth.js';

const temporal = useTestTemporal();

const states = ['pre-active', 'pre-active', 'pre-active', 'pre-active', 'deactive', 'active', 'suspend'] as const;
function devices(from: number, count: number): SeedDevice[] {
  return Array.from({ length: count }, (_, i) =>
    i % 10 === 9 ? nbIotDevice(from + i) : seedDevice(from + i, { state: states[i % states.length]! }),
  );
}

/** Runs one job to its end and returns its full report, checked against the simulator's record. */
async function runJob(
  fixture: ActivationFixture,
  seeds: SeedDevice[],
  name: string,
  options: Parameters<typeof jobRequest>[2],
  hooks: {
    /** Runs after the job ended, while workers still answer queries. */
    afterwards?: (result: JobResult, activation: ActivationClient) => Promise<void>;
    /** Changes the request before it is sent. */
    adjust?: (request: JobRequestInput) => JobRequestInput;
    /** Runs beside the job, from its start to its end (`ended` then resolves). */
    watch?: (jobId: string, activation: ActivationClient, ended: Promise<unknown>) => Promise<void>;
    /** The queue of the workers (and of a webhook that starts inboxes on it); a fresh one by default. */
    taskQueue?: string;
  } = {},
) {
  const { afterwards, adjust = (request) => request, watch, taskQueue = uniqueTaskQueue(name) } = hooks;
  const jobId = `${name}-${Date.now()}`;
  const activation = new ActivationClient(temporal.client, taskQueue);
  const report: DeviceReport[] = [];
  const result = await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
    const { handle } = await activation.startJob(adjust(jobRequest(jobId, seeds, options)));
    const ended = handle.result();
    const [result] = await Promise.all([ended, watch?.(jobId, activation, ended)]);
    for await (const page of activation.report(jobId)) report.push(...page);
    await afterwards?.(result, activation);
    return result;
  });
  const check = await checkAgainstTruth(fixture.sim, report);
  return { result, report, check, jobId };
}

describe('fault: ThingSpace answering 20% 5xx and 20% 429, slowly, and accepting some activates it answers with a 500', () => {
  it('gives every device its true outcome and submits none twice', async () => {
    const seeds = devices(60_000, 1_000);
    const faults: ConfigPatch = {
      pendingStateName: 'pending activation',
      faults: {
        error5xxRate: 0.2,
        error429Rate: 0.2,
        retryAfterSeconds: 1,
        latencyMs: 40,
        ambiguousMode: 'http500',
        ambiguousRate: 0.3,
      },
    };
    const fixture = await startActivationFixture(seeds, faults);
    try {
      const { result, report, check } = await runJob(fixture, seeds, 'faults-thingspace', {
        maxDevicesPerRequest: 100,
        callbackTimeout: '2 seconds',
        pollInterval: '1 second',
        pollDeadline: '2 minutes',
        ambiguousRecheckDelay: '2 seconds',
      });
      const ambiguous = result.requests.filter((r) => !r.requestIdKnown).length;
      console.log(
        `fault: ThingSpace 5xx/429/slow/ambiguous, trials ${result.requests.length} requests (${ambiguous} ambiguous-accepted), ` +
          `devices checked ${check.devices}, devices wrong ${check.wrong.length}, duplicates submitted ${check.duplicates}, callbacks lost 0 (polling path)`,
      );
      expect(report).toHaveLength(seeds.length);
      expect(check.wrong).toEqual([]);
      expect(check.duplicates).toBe(0);
      expect(fixture.sim.admin.submissions().resubmitted).toEqual([]);
      expect(result.counts.unresolved).toBe(0);
    } finally {
      await fixture.close();
    }
  }, 240_000);
});

describe('fault: duplicate, reordered, dropped and late callbacks', () => {
  let fixture: ActivationFixture;
  let webhook: RunningWebhook;
  const seeds = devices(70_000, 1_000);
  beforeAll(async () => {
    fixture = await startActivationFixture(seeds, {
      callbackDelayMs: 20,
      // NIDD results come after every carrier result, a failed device's too: the request must wait for them.
      niddDelayMs: 1_000,
      outcomes: { failureRate: 0.1, niddFailureRate: 0.2, duplicateRate: 0.3, reorder: true, dropRate: 0.1 },
    });
    webhook = await startWebhook({ client: temporal.client });
    await registerCallbacks(fixture.thingspace, { url: webhook.url, credentials: LISTENER });
  });
  afterAll(async () => {
    await webhook.close();
    await fixture.close();
  });

  it('settles what arrived from callbacks, polls for what was dropped, and keeps what comes late apart', async () => {
    let late: Awaited<ReturnType<RunningWebhook['post']>> | undefined;
    let lateInbox: { type: string; status: string } | undefined;
    const again: DeviceReport[] = [];
    const { result, report, check } = await runJob(
      fixture,
      seeds,
      'faults-callbacks',
      { maxDevicesPerRequest: 250, callbackTimeout: '4 seconds', pollInterval: '1 second', pollDeadline: '2 minutes' },
      {
        afterwards: async (finished, activation) => {
          // A callback that comes after its request finished: kept in the request's late inbox, acknowledged, and
          // changes nothing in the report.
          const { requestId } = finished.requests[0]!;
          late = await webhook.post('/callbacks/carrier-service', carrierBody(requestId, testDevice(70_000)));
          // Its content is checked in test/webhook/webhook.test.ts; no worker polls the webhook's queue here.
          const inbox = temporal.client.workflow.getHandle(inboxWorkflowId(requestId));
          const { type, status } = await inbox.describe();
          lateInbox = { type, status: status.name };
          await inbox.terminate('test over');
          for await (const page of activation.report(finished.jobId)) again.push(...page);
        },
      },
    );
    const truth = fixture.sim.admin.devices({});
    const rows = new Map(report.map((r) => [r.key, r]));
    const acked = (d: (typeof truth)[number], service: 'CarrierService' | 'NiddService') =>
      d.callbacks[service]?.acknowledged === true;
    // An acknowledged callback must have been applied: a device whose every callback was acknowledged is settled
    // from callbacks, never left for polling (NB-IoT devices need both their CarrierService and NiddService ones).
    const lost = truth.filter((d) => {
      const complete = acked(d, 'CarrierService') && (d.type !== 'NB-IoT' || acked(d, 'NiddService'));
      return complete && rows.get(deviceKey(d.deviceIds) ?? '')?.source !== 'callback';
    }).length;
    const acknowledged = truth.filter((d) => acked(d, 'CarrierService')).length;
    const fromCallbacks = report.filter((r) => r.source === 'callback').length;
    const fromPolls = report.filter((r) => r.source === 'poll').length;
    console.log(
      `fault: duplicate/reordered/dropped/late callbacks, trials 1 job (${result.requests.length} requests), devices checked ${check.devices}, ` +
        `devices wrong ${check.wrong.length}, duplicates submitted ${check.duplicates}, callbacks lost ${lost}; ` +
        `${acknowledged} acknowledged, ${fromCallbacks} settled by callback, ${fromPolls} by polling`,
    );
    expect(check.wrong).toEqual([]);
    expect(check.duplicates).toBe(0);
    expect(lost).toBe(0);
    expect(fromPolls).toBeGreaterThan(0);
    expect(fromCallbacks).toBeGreaterThan(0);
    expect(late?.status).toBe(200);
    expect(late?.body).toMatchObject({ result: 'workflow_closed' });
    expect(lateInbox).toEqual({ type: 'callbackInbox', status: 'RUNNING' });
    expect(again).toEqual(report);
  }, 240_000);
});

describe('fault: NIDD results that come seconds after the carrier results, for failed lines too', () => {
  // Two requests of 100, each a third NB-IoT, where nothing but NIDD results keeps the request open: the worst case
  // for a request that would end on its carrier results and drop the NIDD ones as late. In the first, every NB-IoT
  // device fails activation. In the second, the job does not say which devices are NB-IoT (half of them fail):
  // only ThingSpace's list does.
  const seeds = Array.from({ length: 200 }, (_, i) =>
    i % 3 !== 2
      ? seedDevice(80_000 + i)
      : nbIotDevice(80_000 + i, i < 100 || i % 2 === 0 ? { outcome: { activation: 'failure' } } : {}),
  );
  const unflagged = (request: JobRequestInput): JobRequestInput => ({
    ...request,
    devices: request.devices!.map((device, i) => (i < 100 ? device : { deviceIds: device.deviceIds })),
  });

  it('reports the NIDD result of every NB-IoT device, failed ones and ones the job did not flag included', async () => {
    const fixture = await startActivationFixture(seeds, {
      callbackDelayMs: 20,
      niddDelayMs: 3_000,
      outcomes: { niddFailureRate: 0.2, reorder: true },
    });
    const webhook = await startWebhook({ client: temporal.client });
    let awaitingNidd = 0;
    try {
      await registerCallbacks(fixture.thingspace, { url: webhook.url, credentials: LISTENER });
      const { result, report } = await runJob(
        fixture,
        seeds,
        'faults-nidd-late',
        {
          maxDevicesPerRequest: 100,
          callbackTimeout: '2 minutes',
          pollInterval: '5 seconds',
          pollDeadline: '2 minutes',
        },
        {
          adjust: unflagged,
          // What `status` shows while the requests wait for the NIDD results of devices already failed.
          watch: async (jobId, activation, ended) => {
            let done = false;
            void ended.finally(() => (done = true));
            while (!done) {
              const live = await activation.liveProgress(jobId);
              awaitingNidd = Math.max(awaitingNidd, live.awaitingNidd ?? 0);
              await Promise.race([ended, sleep(100)]).catch(() => undefined);
            }
          },
        },
      );
      // Read after the simulator sent everything: NIDD results that came after their request ended count too.
      const check = await checkAgainstTruth(fixture.sim, report);
      const truth = fixture.sim.admin.devices({});
      const niddSent = truth.filter((d) => d.callbacks.NiddService?.acknowledged).length;
      const niddReported = report.filter((r) => r.nidd !== undefined).length;
      let late = 0;
      for (const { workflowId } of result.requests) {
        const finished: RequestResult = await temporal.client.workflow.getHandle(workflowId).result();
        late += finished.callbacks.late;
      }
      console.log(
        `fault: NIDD 3 s after the carrier results, trials 1 job (${result.requests.length} requests), devices checked ${check.devices}, ` +
          `devices wrong ${check.wrong.length}, duplicates submitted ${check.duplicates}, callbacks lost ${check.callbacksLost.length}; ` +
          `NIDD acknowledged ${niddSent}, reported ${niddReported}, late ${late}; at most ${awaitingNidd} awaited at once`,
      );
      expect(check.wrong).toEqual([]);
      expect(check.callbacksLost).toEqual([]);
      expect(check.duplicates).toBe(0);
      const nbIot = seeds.filter((seed) => seed.type === 'NB-IoT').length;
      const failing = seeds.filter((seed) => seed.outcome?.activation === 'failure').length;
      expect(result.requests).toHaveLength(2);
      expect(niddSent).toBe(nbIot);
      expect(niddReported).toBe(nbIot);
      expect(late).toBe(0);
      // Every failed NB-IoT device, once its line result is in and before its NIDD one is.
      expect(awaitingNidd).toBeGreaterThan(0);
      expect(awaitingNidd).toBeLessThanOrEqual(seeds.filter((seed) => seed.type === 'NB-IoT' && seed.outcome).length);
      expect(report.filter((r) => r.source !== 'callback')).toEqual([]);
      expect(result.counts).toMatchObject({ activated: seeds.length - failing, failed: failing });
    } finally {
      await webhook.close();
      await fixture.close();
    }
  }, 240_000);
});

describe("fault: callbacks that come after the caller's windows closed their requests", () => {
  // ThingSpace may take up to 12 hours to activate; a caller who shortens the windows (here a second of callback
  // wait and two of polling) has requests that close, settled by polling, before the callbacks come.
  it('settles every device by polling and keeps every acknowledged callback in its late inbox', async () => {
    const seeds = Array.from({ length: 300 }, (_, i) => seedDevice(85_000 + i));
    const fixture = await startActivationFixture(seeds, { activationDelayMs: 100, callbackDelayMs: 6_000 });
    const taskQueue = uniqueTaskQueue('faults-after-close');
    const webhook = await startWebhook({ client: temporal.client }, { taskQueue });
    await registerCallbacks(fixture.thingspace, { url: webhook.url, credentials: LISTENER });
    try {
      let held = 0;
      let lateInboxes = 0;
      let listedForJob: { inboxes: number; held: number } | undefined;
      let status = '';
      const { result, report, check } = await runJob(
        fixture,
        seeds,
        'faults-after-close',
        { maxDevicesPerRequest: 100, callbackTimeout: '1 second', pollInterval: '1 second', pollDeadline: '2 seconds' },
        {
          taskQueue,
          afterwards: async (finished) => {
            // Every callback sent (the simulator's record), then what the late inboxes hold, workers still running.
            await fixture.sim.admin.settled();
            for (const { requestId, workflowId } of finished.requests) {
              const view = await temporal.client.workflow
                .getHandle(inboxWorkflowId(requestId))
                .query(inboxQuery)
                .catch(() => undefined);
              if (view?.lateFor !== workflowId) continue;
              lateInboxes++;
              held += view.held;
            }
            // What the operator sees: the job's late inboxes, found through visibility (eventually consistent).
            const listed = await eventually(
              "the job's late inboxes in visibility",
              async () => {
                const found = await lateInboxesOfJob(temporal.client, finished.jobId);
                return found.length >= lateInboxes ? found : undefined;
              },
              5_000,
            );
            listedForJob = { inboxes: listed.length, held: listed.reduce((n, inbox) => n + inbox.held, 0) };
            status = (await cli(['status', finished.jobId], cliEnv(taskQueue))).stdout;
            for (const { requestId } of finished.requests)
              await temporal.client.workflow.getHandle(inboxWorkflowId(requestId)).terminate('test over');
          },
        },
      );
      const acknowledged = fixture.sim.admin
        .devices({})
        .filter((d) => d.callbacks.CarrierService?.acknowledged === true).length;
      const fromCallbacks = report.filter((r) => r.source === 'callback').length;
      const fromPolls = report.filter((r) => r.source === 'poll').length;
      console.log(
        `fault: callbacks after the requests closed, trials 1 job (${result.requests.length} requests), devices checked ${check.devices}, ` +
          `devices wrong ${check.wrong.length}, duplicates submitted ${check.duplicates}, callbacks lost ${acknowledged - fromCallbacks - held}; ` +
          `${acknowledged} acknowledged, ${fromCallbacks} applied, ${held} kept in ${lateInboxes} late inboxes; ${fromPolls} settled by polling`,
      );
      expect(check.wrong).toEqual([]);
      expect(check.duplicates).toBe(0);
      // Each acknowledged callback agrees with the outcome reported, though it came too late to set it.
      expect(check.callbacksLost).toEqual([]);
      expect(result.counts).toMatchObject({ activated: seeds.length, unresolved: 0 });
      // Nothing lost: each acknowledged callback was applied or is held where the operator can see it.
      expect(acknowledged).toBe(seeds.length);
      expect(fromCallbacks + held).toBe(acknowledged);
      // The worst case happened: the callbacks came after their requests had closed.
      expect(held).toBeGreaterThan(seeds.length / 2);
      expect(lateInboxes).toBe(result.requests.length);
      expect(listedForJob).toEqual({ inboxes: lateInboxes, held });
      expect(status).toContain(`${held} callbacks came after their request closed`);
    } finally {
      await webhook.close();
      await fixture.close();
    }
  }, 240_000);
});
