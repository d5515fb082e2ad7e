/**
 * Which Temporal features the Java test server (time skipping) supports with this SDK: run
 * `npx tsx test/harness/probe/probe-time-skipping.ts [--enable-time-skipping]` and read the table.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { customSearchAttributes, ActivationPhase } from '../../../src/search-attributes.js';
import { obtainTestServer } from '../temporal-test-server.js';
import { bump, go, looper, parent, signaler, sleeper, state, upserter, waiter, withActivity } from './workflows.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const extraArgs = process.argv.slice(2);
const results: { feature: string; ok: boolean; detail: string; wallMs: number }[] = [];

async function probe(feature: string, fn: () => Promise<string>): Promise<void> {
  const start = Date.now();
  try {
    const detail = await Promise.race([
      fn(),
      new Promise<string>((_, reject) => setTimeout(() => reject(new Error('timed out after 30 s wall')), 30_000)),
    ]);
    results.push({ feature, ok: true, detail, wallMs: Date.now() - start });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? ` (cause: ${err.cause.message})` : '';
    const detail = err instanceof Error ? `${err.name}: ${err.message}${cause}`.slice(0, 400) : String(err);
    results.push({ feature, ok: false, detail, wallMs: Date.now() - start });
  }
}

const path = await obtainTestServer();
const t0 = Date.now();
const env = await TestWorkflowEnvironment.createTimeSkipping({
  server: { executable: { type: 'existing-path', path }, extraArgs },
});
console.log(`started in ${Date.now() - t0} ms with extraArgs ${JSON.stringify(extraArgs)} at ${env.address}`);
const { client } = env;
const taskQueue = `probe-${randomUUID()}`;
const worker = await Worker.create({
  connection: env.nativeConnection,
  taskQueue,
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities: {
    async slowActivity(ms: number) {
      await new Promise((r) => setTimeout(r, ms));
      return ms;
    },
  },
});
const id = () => `probe-${randomUUID()}`;

await worker.runUntil(async () => {
  if (process.env.PROBE_REGISTER !== '0')
    await probe('register custom search attributes (operatorService.addSearchAttributes)', async () => {
      await env.connection.operatorService.addSearchAttributes({
        namespace: env.namespace ?? 'default',
        searchAttributes: Object.fromEntries(customSearchAttributes.map((k) => [k.name, 1])),
      });
      return 'accepted';
    });
  await probe('child workflow (executeChild)', async () =>
    client.workflow.execute(parent, { taskQueue, workflowId: id() }),
  );
  await probe('signal + query on a running workflow', async () => {
    const h = await client.workflow.start(waiter, { taskQueue, workflowId: id() });
    await h.signal(go, 'x');
    return JSON.stringify(await h.result());
  });
  await probe('query on a closed workflow', async () => {
    const h = await client.workflow.start(waiter, { taskQueue, workflowId: id() });
    await h.signal(go, 'x');
    await h.result();
    return JSON.stringify(await h.query(state));
  });
  await probe('signalWithStart', async () => {
    const h = await client.workflow.signalWithStart(waiter, {
      taskQueue,
      workflowId: id(),
      signal: go,
      signalArgs: ['sws'],
    });
    return JSON.stringify(await h.result());
  });
  await probe('signalExternalWorkflow (getExternalWorkflowHandle().signal)', async () => {
    const target = await client.workflow.start(waiter, { taskQueue, workflowId: id() });
    await client.workflow.execute(signaler, { taskQueue, workflowId: id(), args: [target.workflowId] });
    return JSON.stringify(await target.result());
  });
  await probe('workflow Update (executeUpdate)', async () => {
    const h = await client.workflow.start(waiter, { taskQueue, workflowId: id() });
    const n = await h.executeUpdate(bump, { args: [10] });
    return `update returned ${n}; result ${JSON.stringify(await h.result())}`;
  });
  await probe('executeUpdateWithStart', async () => {
    const op = new WithStartWorkflowOperation(waiter, {
      taskQueue,
      workflowId: id(),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const n = await client.workflow.executeUpdateWithStart(bump, { args: [10], startWorkflowOperation: op });
    const h = await op.workflowHandle();
    return `update returned ${n}; result ${JSON.stringify(await h.result())}`;
  });
  await probe('continueAsNew', async () => {
    const h = await client.workflow.start(looper, { taskQueue, workflowId: id(), args: [3] });
    const r = await h.result();
    return `result ${r} (1 = last run was continued)`;
  });
  await probe(
    'upsertSearchAttributes with custom attributes (unregistered unless the first probe passed)',
    async () => {
      const h = await client.workflow.start(upserter, { taskQueue, workflowId: id() });
      const settled = await Promise.race([
        h.result().then(() => true),
        new Promise((r) => setTimeout(() => r(false), 5_000)),
      ]);
      if (!settled) {
        const events = (await h.fetchHistory()).events ?? [];
        const failed = events.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes;
        await h.terminate('probe: stuck');
        throw new Error(`no result in 5 s; workflow task failed: ${failed?.failure?.message}`);
      }
      const d = await h.describe();
      return `result ok; describe().typedSearchAttributes: ${JSON.stringify(d.typedSearchAttributes)}`;
    },
  );
  await probe('custom search attributes at start (typedSearchAttributes)', async () => {
    const h = await client.workflow.start(waiter, {
      taskQueue,
      workflowId: id(),
      typedSearchAttributes: [{ key: ActivationPhase, value: 'at-start' }],
    });
    const d = await h.describe();
    await h.signal(go, 'x');
    await h.result();
    return `describe: ${JSON.stringify(d.typedSearchAttributes)}`;
  });
  await probe('visibility list, no query', async () => {
    const rows = [];
    for await (const w of client.workflow.list()) rows.push(w.type);
    return `${rows.length} executions listed`;
  });
  await probe('visibility list, query WorkflowType="waiter"', async () => {
    const rows = [];
    for await (const w of client.workflow.list({ query: 'WorkflowType = "waiter"' })) rows.push(w.type);
    return `${rows.length} executions listed`;
  });
  await probe('visibility list, query on custom attribute ActivationPhase="polling"', async () => {
    const rows = [];
    for await (const w of client.workflow.list({ query: 'ActivationPhase = "polling"' })) rows.push(w.type);
    return `${rows.length} executions listed`;
  });
  await probe('visibility count', async () => JSON.stringify(await client.workflow.count()));
  await probe('fetchHistory', async () => {
    const h = await client.workflow.start(waiter, { taskQueue, workflowId: id() });
    await h.signal(go, 'x');
    await h.result();
    const history = await h.fetchHistory();
    return `${history.events?.length} events`;
  });
  await probe('12 h timer + 15 min condition timeout via result() (time skipped)', async () => {
    const before = await env.currentTimeMs();
    const r = await client.workflow.execute(sleeper, { taskQueue, workflowId: id() });
    const after = await env.currentTimeMs();
    return `workflow time elapsed ${r / 3_600_000} h; server clock advanced ${((after - before) / 3_600_000).toFixed(3)} h`;
  });
  await probe('env.sleep(2 h) + currentTimeMs()', async () => {
    const before = await env.currentTimeMs();
    const wall = Date.now();
    await env.sleep('2 hours');
    const after = await env.currentTimeMs();
    return `server clock advanced ${((after - before) / 3_600_000).toFixed(3)} h in ${Date.now() - wall} ms wall`;
  });
  await probe('timer fires with no result() / env.sleep() awaiting (1 min timer, 3 s wall wait)', async () => {
    const h = await client.workflow.start(upserter, { taskQueue, workflowId: id() });
    await new Promise((r) => setTimeout(r, 3_000));
    const d = await h.describe();
    return `status after 3 s wall: ${d.status.name}`;
  });
  await probe('activity taking 2 s real time, then a 1 h timer', async () => {
    const r = await client.workflow.execute(withActivity, { taskQueue, workflowId: id(), args: [2_000] });
    return `workflow time elapsed ${(r / 3_600_000).toFixed(4)} h`;
  });
});
await env.teardown();

for (const r of results) {
  console.log(`${r.ok ? 'OK  ' : 'FAIL'} ${r.feature} — ${r.detail} (${r.wallMs} ms wall)`);
}
