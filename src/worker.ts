/**
 * `npm run worker`: runs the workflows and activities. Stateless apart from the ThingSpace token cache; scale by
 * running more; the failed-login budget is shared through the login guard workflow. Settings: Temporal through envconfig (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 * TEMPORAL_TLS_*), ThingSpace through THINGSPACE_*, plus TASK_QUEUE, ACTIVATE_REQUESTS_PER_MINUTE,
 * WORKFLOW_BUNDLE (a prebuilt workflow bundle, which skips bundling at start-up) and WORKER_METRICS_ADDRESS. COORDINATOR_ID_SUFFIX is for
 * tests only (worker processes of several test files sharing one Temporal server get their own account coordinators).
 */
import { setFlagsFromString } from 'node:v8';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { z } from 'zod';
import { intSetting, optionalStringSetting, positiveNumberSetting, readSettings, stringSetting } from './settings.js';
import { dataConverter, temporalSettings } from './temporal/connection.js';
import { TemporalLoginGuard } from './temporal/login-guard.js';
import { ThingSpaceClient } from './thingspace/client.js';
import { configFromEnv } from './thingspace/config.js';
import { LOGIN_GUARD_TASK_QUEUE } from './task-queues.js';
import {
  createWorkers,
  DEFAULT_ACTIVATE_REQUESTS_PER_MINUTE,
  DEFAULT_MAX_CACHED_WORKFLOWS,
  DEFAULT_TASK_QUEUE,
} from './workers.js';

/**
 * The workflow thread's old-generation heap. V8 collects lazily up to the heap limit (about 4 GB here), so a
 * worker's resident size grew with garbage long after its cached workflows fitted; a limit set before the SDK starts
 * that thread makes V8 collect early. The cache (WORKER_MAX_CACHED_WORKFLOWS) keeps the live data under it.
 */
const DEFAULT_WORKFLOW_HEAP_MB = 256;

/** Temporal's and ThingSpace's own settings are read by temporalSettings() and configFromEnv(). */
const WorkerEnvSchema = z.object({
  TASK_QUEUE: stringSetting(DEFAULT_TASK_QUEUE),
  ACTIVATE_REQUESTS_PER_MINUTE: positiveNumberSetting(DEFAULT_ACTIVATE_REQUESTS_PER_MINUTE),
  WORKFLOW_BUNDLE: optionalStringSetting(),
  COORDINATOR_ID_SUFFIX: optionalStringSetting(),
  WORKER_MAX_CACHED_WORKFLOWS: intSetting(2, 100_000, DEFAULT_MAX_CACHED_WORKFLOWS),
  WORKER_WORKFLOW_HEAP_MB: intSetting(64, 65_536, DEFAULT_WORKFLOW_HEAP_MB),
  /** `host:port` for a Prometheus `/metrics` endpoint with the SDK's worker metrics (cache hits and misses …). */
  WORKER_METRICS_ADDRESS: optionalStringSetting(),
});

async function main() {
  const settings = readSettings(WorkerEnvSchema, process.env, 'worker settings');
  // Applies to threads started from now on: the SDK's workflow thread, not this one.
  setFlagsFromString(`--max-old-space-size=${settings.WORKER_WORKFLOW_HEAP_MB}`);
  if (settings.WORKER_METRICS_ADDRESS) {
    Runtime.install({
      telemetryOptions: { metrics: { prometheus: { bindAddress: settings.WORKER_METRICS_ADDRESS } } },
    });
  }
  const config = configFromEnv();
  const { connectionOptions, namespace } = temporalSettings();
  const connection = await NativeConnection.connect(connectionOptions);
  const taskQueue = settings.TASK_QUEUE;
  // The failed-login budget lives in a guard workflow shared by every worker, not in this process.
  const clientConnection = await Connection.connect(connectionOptions);
  const client = new Client({ connection: clientConnection, namespace, dataConverter });
  const loginGuard = new TemporalLoginGuard(client, { username: config.username });
  const thingspace = new ThingSpaceClient(config, { loginGuard });
  const workers = await createWorkers({
    connection,
    namespace,
    taskQueue,
    thingspace,
    activateRequestsPerMinute: settings.ACTIVATE_REQUESTS_PER_MINUTE,
    maxCachedWorkflows: settings.WORKER_MAX_CACHED_WORKFLOWS,
    ...(settings.WORKFLOW_BUNDLE && { workflowBundle: { codePath: settings.WORKFLOW_BUNDLE } }),
    ...(settings.COORDINATOR_ID_SUFFIX && { coordinatorIdSuffix: settings.COORDINATOR_ID_SUFFIX }),
  });
  console.log(
    `Worker polling ${taskQueue} (and ${taskQueue}.activate, ${LOGIN_GUARD_TASK_QUEUE}) in namespace ${namespace}`,
  );
  // Worker.run() shuts down gracefully on SIGINT/SIGTERM (the SDK installs the handlers).
  await Promise.all(workers.map((worker) => worker.run()));
  await clientConnection.close();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
