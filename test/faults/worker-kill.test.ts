import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ActivationClient } from '../../src/client.js';
import type { DeviceReport } from '../../src/activation/model.js';
import { jobRequest, seedDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { connectTestClient, uniqueTaskQueue, type TestTemporal } from '../harness/temporal.js';
import { seededRandom, testSeed } from '../harness/seed.js';
import { checkAgainstTruth } from './truth.js';
import { startWorkerProcess } from './worker-process.js';
import type { SeedDevice } from '../../src/simulator/index.js';

const DEVICES = 2_000;
const TRIALS = 5;
// One printed seed fixes the kill times and the simulator's outcome mix and timing jitter.
const SEED = testSeed('worker-kill fault test', 'FAULT_SEED');

let temporal: TestTemporal;
let fixture: ActivationFixture;
let seeds: SeedDevice[];
beforeAll(async () => {
  temporal = await connectTestClient();
  const states = [
    'pre-active',
    'pre-active',
    'pre-active',
    'pre-active',
    'pre-active',
    'pre-active',
    'deactive',
    'active',
    'suspend',
  ] as const;
  seeds = Array.from({ length: DEVICES }, (_, i) => seedDevice(50_000 + i, { state: states[i % states.length]! }));
  fixture = await startActivationFixture(seeds, {
    activationDelayMs: 300,
    activationJitterMs: 1_000,
    outcomes: { failureRate: 0.1 },
    pendingStateName: 'pending activation',
    randomSeed: SEED,
  });
});
afterAll(async () => {
  await fixture.close();
  await temporal.close();
});

const startWorker = (taskQueue: string) => startWorkerProcess(fixture.sim, taskQueue);

describe('fault: the worker is SIGKILLed at random moments during a 2,000-device job', () => {
  it(`gives every device its true outcome and submits none twice, over ${TRIALS} kills`, async () => {
    const taskQueue = uniqueTaskQueue('faults');
    const jobId = `faults-worker-kill-${Date.now()}`;
    const activation = new ActivationClient(temporal.client, taskQueue);
    let worker = startWorker(taskQueue);
    await worker.waitFor(/Worker polling/);
    const { handle } = await activation.startJob(
      jobRequest(jobId, seeds, {
        maxDevicesPerRequest: 400,
        callbackTimeout: '2 seconds',
        pollInterval: '1 second',
        pollDeadline: '3 minutes',
        ambiguousRecheckDelay: '3 seconds',
      }),
    );

    const random = seededRandom(SEED);
    const kills: number[] = [];
    try {
      for (let trial = 0; trial < TRIALS; trial++) {
        const delay = 300 + Math.floor(random() * 2_500);
        kills.push(delay);
        await new Promise((r) => setTimeout(r, delay));
        await worker.kill('SIGKILL');
        worker = startWorker(taskQueue);
        await worker.waitFor(/Worker polling/);
      }
      const result = await handle.result();
      const report: DeviceReport[] = [];
      for await (const page of activation.report(jobId)) report.push(...page);

      const check = await checkAgainstTruth(fixture.sim, report);
      console.log(
        `seed ${SEED}: worker kills after ${kills.join(', ')} ms: ${check.devices} devices checked, ${check.wrong.length} wrong, ` +
          `${check.duplicates} submitted twice; counts ${JSON.stringify(result.counts)}`,
      );
      expect(report).toHaveLength(DEVICES);
      expect(check.wrong).toEqual([]);
      expect(check.duplicates).toBe(0);
      expect(fixture.sim.admin.submissions().resubmitted).toEqual([]);
      expect(result.counts.unresolved).toBe(0);
    } finally {
      await worker.kill('SIGTERM');
    }
  }, 300_000);
});
