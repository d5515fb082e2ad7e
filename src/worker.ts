/**
 * `npm run worker`: runs the workflows and activities. Stateless apart from the ThingSpace token cache; scale by
 * running more. Settings: Temporal through envconfig (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 * TEMPORAL_TLS_*), ThingSpace through THINGSPACE_*, plus TASK_QUEUE, ACTIVATE_REQUESTS_PER_MINUTE and
 * WORKFLOW_BUNDLE (a prebuilt workflow bundle, which skips bundling at start-up). COORDINATOR_ID_SUFFIX is for
 * tests only (worker processes of several test files sharing one Temporal server get their own account coordinators).
 */
import { NativeConnection } from '@temporalio/worker';
import { temporalSettings } from './temporal/connection.js';
import { ThingSpaceClient } from './thingspace/client.js';
import { configFromEnv } from './thingspace/config.js';
import { createWorkers, DEFAULT_ACTIVATE_REQUESTS_PER_MINUTE, DEFAULT_TASK_QUEUE } from './workers.js';

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}".`);
  return value;
}

async function main() {
  const thingspace = new ThingSpaceClient(configFromEnv());
  const { connectionOptions, namespace } = temporalSettings();
  const connection = await NativeConnection.connect(connectionOptions);
  const taskQueue = process.env.TASK_QUEUE || DEFAULT_TASK_QUEUE;
  const workers = await createWorkers({
    connection,
    namespace,
    taskQueue,
    thingspace,
    activateRequestsPerMinute: positiveNumber('ACTIVATE_REQUESTS_PER_MINUTE', DEFAULT_ACTIVATE_REQUESTS_PER_MINUTE),
    ...(process.env.WORKFLOW_BUNDLE && { workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE } }),
    ...(process.env.COORDINATOR_ID_SUFFIX && { coordinatorIdSuffix: process.env.COORDINATOR_ID_SUFFIX }),
  });
  console.log(`Worker polling ${taskQueue} (and ${taskQueue}.activate) in namespace ${namespace}`);
  // Worker.run() shuts down gracefully on SIGINT/SIGTERM (the SDK installs the handlers).
  await Promise.all(workers.map((worker) => worker.run()));
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
