/**
 * A time-skipping Temporal environment (Temporal's Java test server, see ./temporal-test-server.ts) for tests of
 * the hours-long defaults: time stands still except while a test awaits `handle.result()` or `env.sleep()`, and
 * then jumps to the next timer. One environment per test file: time is global to it.
 *
 * What this server cannot do (measured, /work/notes/timeskip.md): list or count workflows (visibility is
 * UNIMPLEMENTED), or take custom search attributes that are not registered — and a workflow task failing on one
 * stalls time for the whole environment, so they are registered here before anything runs. Nor does it tell a
 * parent that its child was terminated: the parent waits until its default 10-year timeout.
 */
import proto from '@temporalio/proto';
import type { SearchAttributeType } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { customSearchAttributes } from '../../src/search-attributes.js';
import { dataConverter } from '../../src/temporal/connection.js';
import type { ThingSpaceClient } from '../../src/thingspace/client.js';
import { createWorkers } from '../../src/workers.js';
import { runWorkersUntil } from './workers.js';
import { obtainTestServer } from './temporal-test-server.js';
import './temporal.js'; // installs the test runtime's logger before the environment creates the runtime

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
const indexedTypes: Record<SearchAttributeType, proto.temporal.api.enums.v1.IndexedValueType> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export const TIME_SKIPPING_NAMESPACE = 'default';

/**
 * Starts the server (fetched once and cached) with the process's data converter on the client side. The SDK gives
 * the server 5 s to listen; a JVM on a busy machine can miss that, so one more attempt is made.
 */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const path = await obtainTestServer({ log: (line) => console.log(line) });
  const create = () =>
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path } },
      client: { dataConverter },
    });
  const env = await create().catch((err: unknown) => {
    console.warn(`The time-skipping test server did not start (${String(err)}); trying once more.`);
    return create();
  });
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace: TIME_SKIPPING_NAMESPACE,
      searchAttributes: Object.fromEntries(customSearchAttributes.map((key) => [key.name, indexedTypes[key.type]])),
    });
    return env;
  } catch (err) {
    await env.teardown();
    throw err;
  }
}

function workflowBundlePath(): string {
  const path = process.env.TEMPORAL_TEST_WORKFLOW_BUNDLE;
  if (!path) throw new Error('TEMPORAL_TEST_WORKFLOW_BUNDLE is not set: run the tests through jest (npm test).');
  return path;
}

/** Runs `fn` while the product's workers, with real activities against `thingspace`, poll `taskQueue`. */
export async function withTimeSkippingWorkers<R>(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  thingspace: ThingSpaceClient,
  fn: () => Promise<R>,
): Promise<R> {
  const workers = await createWorkers({
    connection: env.nativeConnection,
    namespace: TIME_SKIPPING_NAMESPACE,
    taskQueue,
    thingspace,
    workflowBundle: { codePath: workflowBundlePath() },
    activateRequestsPerMinute: 6_000,
  });
  return runWorkersUntil(workers, fn());
}
