/**
 * Per-test-file access to the run's dev server: a client, and a worker on a fresh task queue that runs only for
 * the duration of a callback (`worker.runUntil`), so tests never share workers.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createClaimActivities } from '../../src/activities/device-claims.js';
import type { DataConverter } from '@temporalio/common';
import { dataConverter } from '../../src/temporal/connection.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import type { ThingSpaceClient } from '../../src/thingspace/client.js';
import { createWorkers } from '../../src/workers.js';
import { runWorkersUntil } from './workers.js';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';

// Worker lifecycle lines at INFO drown test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest's global setup (npm test).`);
  return value;
}

export interface TestTemporal {
  client: Client;
  connection: Connection;
  namespace: string;
  address: string;
  close(): Promise<void>;
}

export async function connectTestClient(converter: DataConverter = dataConverter): Promise<TestTemporal> {
  const address = setting('TEMPORAL_TEST_ADDRESS');
  const namespace = setting('TEMPORAL_TEST_NAMESPACE');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace, dataConverter: converter });
  return { client, connection, namespace, address, close: () => connection.close() };
}

export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

export type TestWorkerOptions = Partial<Omit<WorkerOptions, 'connection' | 'namespace' | 'workflowBundle'>>;

/**
 * Runs `fn` while a worker with the run's workflow bundle polls `taskQueue`; the worker stops when `fn` settles.
 * It also runs the device-claim activities (a client over the worker's connection; coordinator IDs suffixed
 * with `taskQueue`), so workflows that claim devices find their account coordinator; `options.activities` are added.
 */
export async function withWorker<R>(
  taskQueue: string,
  fn: () => Promise<R>,
  options: TestWorkerOptions = {},
): Promise<R> {
  const connection = await NativeConnection.connect({ address: setting('TEMPORAL_TEST_ADDRESS') });
  try {
    const namespace = setting('TEMPORAL_TEST_NAMESPACE');
    const client = new Client({ connection, namespace, dataConverter: options.dataConverter ?? dataConverter });
    // Test files share the dev server and reuse account names: each test worker gets its own coordinators.
    const claims = createClaimActivities(client, { taskQueue, coordinatorIdSuffix: taskQueue });
    const worker = await Worker.create({
      connection,
      namespace,
      workflowBundle: { codePath: setting('TEMPORAL_TEST_WORKFLOW_BUNDLE') },
      dataConverter,
      ...options,
      activities: { ...claims, ...options.activities },
      taskQueue,
    });
    return await worker.runUntil(fn);
  } finally {
    await connection.close();
  }
}

/** Runs `fn` while the product's workers (workflows, activities, the rate-limited activate queue) poll `taskQueue`. */
export async function withActivationWorkers<R>(
  taskQueue: string,
  thingspace: ThingSpaceClient,
  fn: () => Promise<R>,
  options: {
    activateRequestsPerMinute?: number;
    dataConverter?: DataConverter;
    client?: Client;
    /** Another dev server than the run's (e.g. one with a Web UI). */
    server?: { address: string; namespace: string };
    /** Where stored device lists live (default: BLOB_STORE_URL's). */
    store?: BlobStore;
  } = {},
): Promise<R> {
  const address = options.server?.address ?? setting('TEMPORAL_TEST_ADDRESS');
  const connection = await NativeConnection.connect({ address });
  try {
    const workers = await createWorkers({
      connection,
      namespace: options.server?.namespace ?? setting('TEMPORAL_TEST_NAMESPACE'),
      taskQueue,
      thingspace,
      workflowBundle: { codePath: setting('TEMPORAL_TEST_WORKFLOW_BUNDLE') },
      // Tests run many requests a minute; production keeps ThingSpace's 100.
      activateRequestsPerMinute: options.activateRequestsPerMinute ?? 6_000,
      ...(options.dataConverter && { dataConverter: options.dataConverter }),
      // Without one, createWorkers builds the claim activities' client over this connection.
      ...(options.client && { client: options.client }),
      ...(options.store && { store: options.store }),
      coordinatorIdSuffix: taskQueue,
    });
    return await runWorkersUntil(workers, fn());
  } finally {
    await connection.close();
  }
}
