/**
 * The production topology under faults: a mixed job of thousands of devices on a real Temporal cluster on
 * PostgreSQL (src/cluster) while, one at a time, the history service is SIGKILLed and restarted, PostgreSQL is
 * restarted, one of our workers and one of our webhooks are SIGKILLed and restarted. Every device's outcome is then
 * checked against the simulator's own record. The kill moments come from a seeded generator whose seed is printed;
 * CLUSTER_FAULT_SEED replays a run, CLUSTER_DEVICES and CLUSTER_ROUNDS size it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import type { DeviceReport } from '../../src/activation/model.js';
import { ActivationClient } from '../../src/client.js';
import { startCluster, type Cluster } from '../../src/cluster/cluster.js';
import type { Supervised } from '../../src/cluster/supervised.js';
import { DEFAULT_ACCOUNT, DEFAULT_APP, DEFAULT_USER, type SeedDevice } from '../../src/simulator/index.js';
import { createRandom, type Random } from '../../src/simulator/rng.js';
import { dataConverter } from '../../src/temporal/connection.js';
import { jobRequest, nbIotDevice, seedDevice } from '../harness/activation.js';
import { checkAgainstDevices, lostCallbacks } from '../faults/truth.js';
import { SimulatorAdminClient } from './admin.js';

const DEVICES = Number(process.env.CLUSTER_DEVICES ?? 3_000);
const ROUNDS = Number(process.env.CLUSTER_ROUNDS ?? 2);
const SEED = Number(process.env.CLUSTER_FAULT_SEED ?? Date.now() % 1_000_000);
const FAULTS = ['history SIGKILL', 'postgresql restart', 'worker SIGKILL', 'webhook SIGKILL'] as const;
type Fault = (typeof FAULTS)[number];

/** Some already active, some failing (deactive, suspend, 10% refused by ThingSpace), every tenth one NB-IoT. */
function mixedDevices(from: number, count: number): SeedDevice[] {
  const states = ['pre-active', 'pre-active', 'pre-active', 'pre-active', 'deactive', 'active', 'suspend'] as const;
  return Array.from({ length: count }, (_, i) =>
    i % 10 === 9 ? nbIotDevice(from + i) : seedDevice(from + i, { state: states[i % states.length]! }),
  );
}

const seeds = Array.from({ length: ROUNDS }, (_, round) => mixedDevices(100_000 * (round + 1), DEVICES));

let cluster: Cluster;
let connection: Connection;
let client: Client;
let admin: SimulatorAdminClient;

beforeAll(async () => {
  const logDir = await mkdtemp(join(tmpdir(), 'cluster-test-logs-'));
  console.log(`cluster fault test: seed ${SEED}, ${DEVICES} devices × ${ROUNDS} job(s); logs in ${logDir}`);
  const started = Date.now();
  cluster = await startCluster({
    logDir,
    simulator: {
      seed: {
        apps: [DEFAULT_APP],
        users: [{ ...DEFAULT_USER, accountNames: [DEFAULT_ACCOUNT] }],
        accounts: [DEFAULT_ACCOUNT],
        devices: seeds.flat(),
      },
      config: {
        // Callbacks spread over many seconds, so the faults fall while they arrive.
        activationDelayMs: 1_000,
        activationJitterMs: 15_000,
        callbackDelayMs: 20,
        // NIDD results seconds after the carrier ones, failed devices' too (the CI run that lost one).
        niddDelayMs: 2_000,
        // What was not acknowledged is resent (500 ms, doubling) long enough to outlive any restart here.
        callbackRetryBackoffMs: 500,
        maxCallbackThreshold: 10,
        outcomes: { failureRate: 0.1, niddFailureRate: 0.2 },
        logLevel: 'warn',
      },
    },
    workerEnv: { ACTIVATE_REQUESTS_PER_MINUTE: '60' },
  });
  console.log(`cluster started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  connection = await Connection.connect({ address: cluster.address });
  client = new Client({ connection, namespace: cluster.namespace, dataConverter });
  admin = new SimulatorAdminClient(cluster.simulatorAdmin.url, cluster.simulatorAdmin.token);
}, 600_000);

afterAll(async () => {
  await connection?.close();
  await cluster?.stop();
}, 120_000);

/** Waits until `probe` succeeds: the cluster answers again after a fault. */
async function until(what: string, probe: () => Promise<unknown>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await probe();
      return;
    } catch (err) {
      last = err;
      await sleep(250);
    }
  }
  throw new Error(`${what}: not back within ${timeoutMs} ms: ${String(last)}`);
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

describe('the cluster under faults', () => {
  it(`gives ${DEVICES * ROUNDS} devices their true outcome while Temporal, PostgreSQL, a worker and a webhook fail`, async () => {
    const random = createRandom(SEED);
    const activation = new ActivationClient(client, cluster.taskQueue);
    const trials = new Map<Fault, number>(FAULTS.map((f) => [f, 0]));
    const moments: string[] = [];
    const reports: DeviceReport[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      const jobId = `cluster-faults-${SEED}-${round}`;
      const { handle } = await activation.startJob(
        jobRequest(jobId, seeds[round]!, {
          maxDevicesPerRequest: 100,
          // Only callbacks should settle devices: polling starts late, so a lost callback shows in the report.
          callbackTimeout: '3 minutes',
          pollInterval: '5 seconds',
          pollDeadline: '5 minutes',
          ambiguousRecheckDelay: '5 seconds',
        }),
      );
      // The job's own workflow answering means history, matching and PostgreSQL serve it again.
      const healthy = () => until('the job', () => handle.describe());

      for (const fault of FAULTS) {
        const delay = 1_000 + Math.floor(random() * 4_000);
        await sleep(delay);
        let target: Supervised;
        switch (fault) {
          case 'history SIGKILL':
            target = cluster.temporal.history;
            await target.kill('SIGKILL');
            break;
          case 'postgresql restart':
            target = cluster.postgres;
            await target.stop();
            break;
          case 'worker SIGKILL':
            target = pick(random, cluster.workers);
            await target.kill('SIGKILL');
            break;
          case 'webhook SIGKILL':
            target = pick(random, cluster.webhooks);
            await target.kill('SIGKILL');
            break;
        }
        moments.push(`${fault} (${target.name}) after ${delay} ms`);
        trials.set(fault, trials.get(fault)! + 1);
        await cluster.restart(target);
        await healthy();
      }

      const result = await handle.result();
      for await (const page of activation.report(jobId)) reports.push(...page);
      expect(result.counts.unresolved).toBe(0);
    }

    // Every callback sent first: one that came after its request ended counts too.
    await admin.settled();
    const devices = await admin.devices();
    const check = checkAgainstDevices(devices, reports);
    const { resubmitted } = await admin.submissions();
    const lost = lostCallbacks(devices, reports);
    const stats = await admin.callbackStats();

    const header = ['fault', 'trials', 'devices checked', 'wrong', 'duplicates', 'callbacks lost'];
    const rows = FAULTS.map((fault) => [
      fault,
      trials.get(fault)!,
      check.devices,
      check.wrong.length,
      resubmitted.length,
      lost.length,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
    const line = (cells: (string | number)[]) => cells.map((c, i) => String(c).padEnd(widths[i]!)).join(' | ');
    console.log(
      [
        `cluster fault table (seed ${SEED}; every job met every fault, one at a time, so each row counts the same ${ROUNDS} job(s)):`,
        line(header),
        line(widths.map((w) => '-'.repeat(w))),
        ...rows.map(line),
        `moments: ${moments.join('; ')}`,
        `callback sends ${stats.sends}, failed sends ${stats.failedSends}, exhausted ${stats.exhausted}`,
      ].join('\n'),
    );

    expect(reports).toHaveLength(DEVICES * ROUNDS);
    expect(check.wrong).toEqual([]);
    expect(check.duplicates).toBe(0);
    expect(resubmitted).toEqual([]);
    expect(lost).toEqual([]);
    expect(stats.exhausted).toBe(0);
  }, 1_800_000);
});
