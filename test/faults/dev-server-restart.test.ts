import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { ActivationClient } from '../../src/client.js';
import type { DeviceReport } from '../../src/activation/model.js';
import type { JobResult } from '../../src/activation/job-result.js';
import { freePort, startDevServer, type DevServer } from '../../src/devserver/dev-server.js';
import type { SeedDevice } from '../../src/simulator/index.js';
import { dataConverter } from '../../src/temporal/connection.js';
import { jobRequest, seedDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { uniqueTaskQueue } from '../harness/temporal.js';
import { checkAgainstTruth } from './truth.js';
import { startWorkerProcess } from './worker-process.js';

const DEVICES = 500;
const NAMESPACE = 'default';

let fixture: ActivationFixture;
let seeds: SeedDevice[];
let dir: string;
let dbFile: string;
let port: number;
let server: DevServer | undefined;

function startServer(): Promise<DevServer> {
  return startDevServer({ port, uiPort: false, dbFile, namespace: NAMESPACE, log: () => {} });
}

beforeAll(async () => {
  const states = ['pre-active', 'pre-active', 'pre-active', 'pre-active', 'deactive', 'active', 'suspend'] as const;
  seeds = Array.from({ length: DEVICES }, (_, i) => seedDevice(70_000 + i, { state: states[i % states.length]! }));
  fixture = await startActivationFixture(seeds, {
    // Slow enough that the job is still polling when the server goes away.
    activationDelayMs: 1_000,
    activationJitterMs: 3_000,
    outcomes: { failureRate: 0.1 },
  });
  dir = await mkdtemp(join(tmpdir(), 'faults-dev-server-'));
  dbFile = join(dir, 'temporal.db');
  // A fixed gRPC port, kept across the restart so the worker and the client reconnect to the same address.
  port = await freePort();
  server = await startServer();
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await fixture.close();
  await rm(dir, { recursive: true, force: true });
});

const startWorker = (address: string, taskQueue: string) =>
  startWorkerProcess(fixture.sim, taskQueue, { address, namespace: NAMESPACE });

/** Retries `fn` while the server is away or just back (connection refused, unavailable …) until the deadline. */
async function retrying<T>(fn: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

describe('fault: the Temporal dev server is stopped and restarted mid-job (state kept in its SQLite file)', () => {
  it('finishes the job with every device true and none submitted twice', async () => {
    const address = server!.address;
    const taskQueue = uniqueTaskQueue('faults-dev-server');
    const jobId = `faults-dev-server-restart-${Date.now()}`;
    const connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace: NAMESPACE, dataConverter });
    const activation = new ActivationClient(client, taskQueue);
    let worker = startWorker(address, taskQueue);
    let workerRestarts = 0;
    try {
      await worker.waitFor(/Worker polling/);
      const { handle } = await activation.startJob(
        jobRequest(jobId, seeds, {
          maxDevicesPerRequest: 100,
          callbackTimeout: '2 seconds',
          pollInterval: '1 second',
          pollDeadline: '2 minutes',
        }),
      );

      // Stop the server once the job has submitted requests and is waiting on them.
      const deadline = Date.now() + 30_000;
      while ((await activation.progress(jobId)).requests.length === 0) {
        if (Date.now() > deadline) throw new Error('the job submitted no request within 30 s');
        await sleep(100);
      }
      const requestsAtStop = (await activation.progress(jobId)).requests.length;
      const submittedAtStop = fixture.sim.admin.submissions().totalSubmissions;
      await server!.stop();
      server = undefined;
      await sleep(2_000);
      server = await startServer();
      expect(server.address).toBe(address);

      if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
        workerRestarts++;
        worker = startWorker(address, taskQueue);
        await worker.waitFor(/Worker polling/);
      }

      const finish = Date.now() + 90_000;
      const result: JobResult = await retrying(async () => {
        // A worker that gave up while the server was away is restarted; the job continues from its history.
        if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
          workerRestarts++;
          worker = startWorker(address, taskQueue);
          await worker.waitFor(/Worker polling/);
        }
        return handle.result();
      }, finish);
      const report: DeviceReport[] = await retrying(async () => {
        const rows: DeviceReport[] = [];
        for await (const page of activation.report(jobId)) rows.push(...page);
        return rows;
      }, finish);

      const check = await checkAgainstTruth(fixture.sim, report);
      const duplicates = fixture.sim.admin.submissions().resubmitted.length;
      console.log(
        `fault: dev-server-restart, trials 1, devices checked ${check.devices}, devices wrong ${check.wrong.length}, ` +
          `duplicates submitted ${duplicates}, callbacks lost 0\n` +
          `  stopped with ${requestsAtStop} requests started and ${submittedAtStop} devices submitted; ` +
          `worker restarts ${workerRestarts}; counts ${JSON.stringify(result.counts)}`,
      );
      expect(report).toHaveLength(DEVICES);
      expect(check.wrong).toEqual([]);
      expect(check.duplicates).toBe(0);
      expect(duplicates).toBe(0);
      expect(result.counts.unresolved).toBe(0);
    } finally {
      await worker.kill('SIGTERM');
      await connection.close();
    }
  }, 180_000);
});
