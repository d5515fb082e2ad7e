import { startProcess, type RunningProcess } from '../../src/devserver/processes.js';
import { simulatorThingSpaceEnv, type RunningSimulator } from '../../src/simulator/index.js';

/** `npm run worker` as a child process against the simulator, so a fault case can SIGKILL it. */
export function startWorkerProcess(
  sim: RunningSimulator,
  taskQueue: string,
  temporal: { address?: string; namespace?: string } = {},
): RunningProcess {
  return startProcess('worker', 'src/worker.ts', {
    TEMPORAL_ADDRESS: temporal.address ?? process.env.TEMPORAL_TEST_ADDRESS,
    TEMPORAL_NAMESPACE: temporal.namespace ?? process.env.TEMPORAL_TEST_NAMESPACE,
    WORKFLOW_BUNDLE: process.env.TEMPORAL_TEST_WORKFLOW_BUNDLE,
    TASK_QUEUE: taskQueue,
    // Fault files run side by side on one dev server with the same account: each gets its own device coordinator.
    COORDINATOR_ID_SUFFIX: taskQueue,
    ACTIVATE_REQUESTS_PER_MINUTE: '600',
    ...simulatorThingSpaceEnv(sim.url),
  });
}
