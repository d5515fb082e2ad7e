import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { ActivationClient } from '../../src/client.js';
import type { DeviceReport } from '../../src/activation/model.js';
import { freePort } from '../../src/devserver/dev-server.js';
import { startProcess, type RunningProcess } from '../../src/devserver/processes.js';
import type { SeedDevice } from '../../src/simulator/index.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import { jobRequest, seedDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { connectTestClient, uniqueTaskQueue, withActivationWorkers, type TestTemporal } from '../harness/temporal.js';
import { LISTENER } from '../webhook/fixtures.js';
import { checkAgainstTruth } from './truth.js';

const DEVICES = 1_000;
const KILLS = 3;

let temporal: TestTemporal;
let fixture: ActivationFixture;
let seeds: SeedDevice[];
let port: number;

beforeAll(async () => {
  temporal = await connectTestClient();
  const states = ['pre-active', 'pre-active', 'pre-active', 'pre-active', 'deactive', 'active', 'suspend'] as const;
  seeds = Array.from({ length: DEVICES }, (_, i) => seedDevice(60_000 + i, { state: states[i % states.length]! }));
  fixture = await startActivationFixture(seeds, {
    // The callbacks come over several seconds, so the webhook can be killed more than once during the storm.
    activationDelayMs: 300,
    activationJitterMs: 6_000,
    callbackDelayMs: 20,
    // What was not acknowledged is resent (500 ms, doubling) long enough to outlive a restart of the webhook.
    callbackRetryBackoffMs: 500,
    maxCallbackThreshold: 8,
    outcomes: { failureRate: 0.1 },
  });
  port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  for (const [name, path] of [
    ['CarrierService', '/callbacks/carrier-service'],
    ['NiddService', '/callbacks/nidd-service'],
  ] as const) {
    await fixture.thingspace.registerCallback({ name, url: `${url}${path}`, ...LISTENER });
  }
});
afterAll(async () => {
  await fixture.close();
  await temporal.close();
});

function startWebhook(): RunningProcess {
  return startProcess('webhook', 'src/webhook/main.ts', {
    TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
    TEMPORAL_NAMESPACE: process.env.TEMPORAL_TEST_NAMESPACE,
    WEBHOOK_HOST: '127.0.0.1',
    WEBHOOK_PORT: String(port),
    CALLBACK_USERNAME: LISTENER.username,
    CALLBACK_PASSWORD: LISTENER.password,
  });
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(25);
  }
  return condition();
}

describe('fault: the webhook is SIGKILLed and restarted during a callback storm', () => {
  it(`applies every acknowledged callback and submits no device twice, over ${KILLS} kills`, async () => {
    const { sim } = fixture;
    const taskQueue = uniqueTaskQueue('faults-webhook');
    const jobId = `faults-webhook-kill-${Date.now()}`;
    const activation = new ActivationClient(temporal.client, taskQueue);
    let webhook = startWebhook();
    await webhook.waitFor(/webhook ready for ThingSpace callbacks/);

    const kills: number[] = [];
    try {
      const { result, report } = await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
        // The callback wait is long: only callbacks settle devices, so a lost callback would hang the job.
        const { handle } = await activation.startJob(
          jobRequest(jobId, seeds, { maxDevicesPerRequest: 100, callbackTimeout: '5 minutes' }),
        );
        const callbacksDue = () => {
          const stats = sim.admin.callbackStats();
          return stats.pendingActivations + stats.queued + stats.inFlight + stats.waiting;
        };
        for (let kill = 0; kill < KILLS; kill++) {
          const before = sim.admin.callbackStats().acknowledged;
          // Kill while callbacks are arriving: after some more have been acknowledged since the last restart.
          await waitUntil(() => sim.admin.callbackStats().acknowledged >= before + 60, 20_000);
          if (kill > 0 && callbacksDue() === 0) break;
          kills.push(sim.admin.callbackStats().acknowledged);
          await webhook.kill('SIGKILL');
          await sleep(200);
          webhook = startWebhook();
          await webhook.waitFor(/webhook ready for ThingSpace callbacks/);
        }
        const result = await handle.result();
        const report: DeviceReport[] = [];
        for await (const page of activation.report(jobId)) report.push(...page);
        return { result, report };
      });

      const check = await checkAgainstTruth(sim, report);
      const rows = new Map(report.map((row) => [row.key, row]));
      const truth = sim.admin.devices({});
      const submitted = truth.filter((d) => d.submissions > 0);
      const notFromCallback = submitted.filter((d) => rows.get(deviceKey(d.deviceIds) ?? '')?.source !== 'callback');
      const lost = truth.filter(
        (d) =>
          d.callbacks.CarrierService?.acknowledged && rows.get(deviceKey(d.deviceIds) ?? '')?.source !== 'callback',
      );
      const duplicates = sim.admin.submissions().resubmitted.length;
      const stats = sim.admin.callbackStats();
      console.log(
        `fault: webhook-kill, trials ${kills.length}, devices checked ${check.devices}, devices wrong ${check.wrong.length}, ` +
          `duplicates submitted ${duplicates}, callbacks lost ${lost.length}\n` +
          `  kills after ${kills.join(', ')} acknowledged callbacks; sends ${stats.sends}, failed sends ${stats.failedSends}, ` +
          `exhausted ${stats.exhausted}; counts ${JSON.stringify(result.counts)}`,
      );
      expect(kills.length).toBeGreaterThanOrEqual(2);
      expect(stats.failedSends).toBeGreaterThan(0);
      expect(report).toHaveLength(DEVICES);
      expect(check.wrong).toEqual([]);
      expect(check.duplicates).toBe(0);
      expect(duplicates).toBe(0);
      expect(notFromCallback.map((d) => deviceKey(d.deviceIds) ?? '')).toEqual([]);
      expect(lost.map((d) => deviceKey(d.deviceIds) ?? '')).toEqual([]);
      expect(result.counts.unresolved).toBe(0);
    } finally {
      await webhook.kill('SIGTERM');
    }
  }, 120_000);
});
