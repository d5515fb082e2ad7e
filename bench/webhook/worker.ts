/**
 * The bench's worker: the product's workflow code (bundled here) and data converter, no activities (every device
 * is settled by a callback). Env: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TASK_QUEUE. Prints `worker ready`.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { dataConverter } from '../../src/temporal/connection.js';
import { bundleWorkflows } from '../../src/temporal/workflow-bundle.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS as string });
const worker = await Worker.create({
  connection,
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  taskQueue: process.env.TASK_QUEUE as string,
  workflowBundle: await bundleWorkflows(),
  dataConverter,
});
process.on('SIGTERM', () => worker.shutdown());
console.log('worker ready');
await worker.run();
await connection.close();
