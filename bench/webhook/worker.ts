/**
 * The bench's worker: the product's workflow code (bundled here) and data converter, no activities (every device
 * is settled by a callback). Env: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TASK_QUEUE. Prints `worker ready`.
 */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { dataConverter } from '../../src/temporal/connection.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const workflowsPath = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS as string });
const worker = await Worker.create({
  connection,
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  taskQueue: process.env.TASK_QUEUE as string,
  workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: silent }),
  dataConverter,
});
process.on('SIGTERM', () => worker.shutdown());
console.log('worker ready');
await worker.run();
await connection.close();
