/**
 * The namespace and our search attributes on the cluster: docker-compose's own set-up script
 * (deploy/temporal/register-namespace.sh) run with the Temporal CLI, given the pairs of src/search-attributes.ts;
 * then a wait until the frontend serves the namespace with every attribute, so workers start on a ready cluster.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { obtainTemporalCli } from '../devserver/temporal-cli.js';
import { runLogged } from '../devserver/go-binaries.js';
import { customSearchAttributes, searchAttributeCliPairs } from '../search-attributes.js';

const SCRIPT = fileURLToPath(new URL('../../deploy/temporal/register-namespace.sh', import.meta.url));

export async function registerNamespace(options: {
  address: string;
  namespace: string;
  log?: (line: string) => void;
}): Promise<void> {
  const log = options.log ?? (() => {});
  const cli = await obtainTemporalCli({ log });
  if (cli.kind !== 'binary') {
    throw new Error('The cluster registers its namespace with the Temporal CLI; build it first: npm run temporal-cli');
  }
  await runLogged(
    'sh',
    [SCRIPT, ...searchAttributeCliPairs()],
    {
      ...process.env,
      PATH: `${dirname(cli.path)}:${process.env.PATH ?? ''}`,
      TEMPORAL_ADDRESS: options.address,
      TEMPORAL_NAMESPACE: options.namespace,
      TEMPORAL_NAMESPACE_RETENTION: '1d',
    },
    log,
  );
}

/** Ready: the namespace is served and lists every custom search attribute, and visibility answers in it. */
export async function waitForNamespace(address: string, namespace: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = customSearchAttributes.filter((key) => !(customAttributes && key.name in customAttributes));
        if (missing.length === 0) {
          await connection.workflowService.countWorkflowExecutions({ namespace, query: '' });
          return;
        }
        last = `search attributes not registered yet: ${missing.map((k) => k.name).join(', ')}`;
      } finally {
        await connection.close();
      }
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(500);
  }
  throw new Error(`The cluster's namespace ${namespace} at ${address} was not ready in time (last: ${last}).`);
}
