/**
 * The workers one worker process runs: workflows plus the read-only activities on the main task queue, the
 * activate calls alone on `<queue>.activate`, whose server-side rate limit holds for every worker process of
 * the deployment together (ThingSpace allows about 100 activate requests a minute per account), the accounts'
 * claims coordinators on `<queue>.coordinators` with a cache of their own, and the login guard workflows on
 * their own queue.
 */
import type { NativeConnection } from '@temporalio/worker';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { bundleWorkflows } from './temporal/workflow-bundle.js';
import { Client } from '@temporalio/client';
import { createActivities, createClaimActivities, createSubmitActivities } from './activities/index.js';
import type { DataConverter } from '@temporalio/common';
import { dataConverter as processDataConverter } from './temporal/connection.js';
import type { BlobStore } from './storage/blob-store.js';
import { blobStoreFromEnv } from './storage/store-from-env.js';
import type { ThingSpaceClient } from './thingspace/client.js';
import { coordinatorTaskQueue, LOGIN_GUARD_TASK_QUEUE, submitTaskQueue } from './task-queues.js';

export { DEFAULT_TASK_QUEUE } from './task-queues.js';
export const DEFAULT_ACTIVATE_REQUESTS_PER_MINUTE = 100;

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  thingspace: ThingSpaceClient;
  activateRequestsPerMinute?: number;
  /** Defaults to the process's (compression, plus encryption when keys are configured). */
  dataConverter?: DataConverter;
  /**
   * The client of activities that reach other workflows (account coordinator, inboxes); defaults to one over `connection`
   * (a NativeConnection can power a Client) with this setup's namespace and data converter.
   */
  client?: Client;
  /** Workflows kept in memory between their tasks (see DEFAULT_MAX_CACHED_WORKFLOWS). */
  maxCachedWorkflows?: number;
  /** Where stored device lists and job parts live; defaults to BLOB_STORE_URL's (blobStoreFromEnv). */
  store?: BlobStore;
  /** Tests only: keeps the account coordinators of test workers sharing one dev server apart. */
  coordinatorIdSuffix?: string;
  /** Prebuilt bundle (tests build it once); otherwise the workflows are bundled at start-up. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/**
 * Workflows a worker keeps in memory between their tasks. The SDK's default follows the heap limit (about 2,300 on
 * a 4 GB heap), and a request or part job of 10,000 devices holds tens of MB: a 1,000,000-device job, whose parts
 * and requests all stay open while callbacks drain, took the worker to 2,129 MB (bench, case 5). With fewer, an
 * idle workflow (waiting hours for callbacks, say) is evicted and replayed from its history when it next has work.
 * With the claims coordinators on a worker of their own and two part jobs in flight, 6 peaked at 451-473 MB and 8
 * at 549 MB (bench/RESULTS.md, issue 12 notes); a shared cache of 4 did not finish in 6 minutes (200,000 devices).
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 6;

/** Accounts whose claims coordinators stay in memory: one per account a worker serves jobs for at once. */
const CACHED_COORDINATORS = 4;

/**
 * The workers of one process: workflows and read-only activities on `taskQueue`, activate calls on its
 * `.activate` queue, claims coordinators on its `.coordinators` queue, and the login guard workflows on
 * LOGIN_GUARD_TASK_QUEUE.
 */
export async function createWorkers(setup: WorkerSetup): Promise<Worker[]> {
  const { connection, namespace, taskQueue, thingspace } = setup;
  const dataConverter = setup.dataConverter ?? processDataConverter;
  // Bundled once for the three workflow workers.
  const workflows = {
    maxCachedWorkflows: setup.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    workflowBundle: setup.workflowBundle ?? { code: (await bundleWorkflows()).code },
  };
  const client = setup.client ?? new Client({ connection, namespace, dataConverter });
  const perMinute = setup.activateRequestsPerMinute ?? DEFAULT_ACTIVATE_REQUESTS_PER_MINUTE;
  return Promise.all([
    Worker.create({
      connection,
      namespace,
      taskQueue,
      dataConverter,
      activities: {
        ...createActivities(thingspace, client, setup.store ?? blobStoreFromEnv()),
        ...createClaimActivities(client, {
          taskQueue: coordinatorTaskQueue(taskQueue),
          ...(setup.coordinatorIdSuffix !== undefined && { coordinatorIdSuffix: setup.coordinatorIdSuffix }),
        }),
      },
      ...workflows,
    }),
    Worker.create({
      connection,
      namespace,
      taskQueue: submitTaskQueue(taskQueue),
      dataConverter,
      activities: createSubmitActivities(thingspace),
      maxTaskQueueActivitiesPerSecond: perMinute / 60,
    }),
    Worker.create({
      connection,
      namespace,
      taskQueue: coordinatorTaskQueue(taskQueue),
      dataConverter,
      ...workflows,
      maxCachedWorkflows: CACHED_COORDINATORS,
    }),
    Worker.create({ connection, namespace, taskQueue: LOGIN_GUARD_TASK_QUEUE, dataConverter, ...workflows }),
  ]);
}
