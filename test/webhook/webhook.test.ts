/**
 * The webhook against the run's real Temporal dev server and a real worker running `activationRequest`; the
 * simulator delivers callbacks over HTTP in the first test, the others post crafted callbacks.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { freePort } from '../../src/devserver/dev-server.js';
import { dataConverter } from '../../src/temporal/connection.js';
import { registerCallbacks } from '../../src/cli/register-callbacks.js';
import { ActivationPhase } from '../../src/search-attributes.js';
import type { callbackInbox } from '../../src/workflows/inbox.js';
import { inboxQuery, inboxWorkflowId, releaseInboxSignal } from '../../src/workflows/inbox.js';
import { cli, cliEnv } from '../harness/cli.js';
import { recordHistory } from '../harness/histories.js';
import { requestProgressQuery, requestReportQuery } from '../../src/workflows/request.js';
import { nbIotDevice, seedDevice, startActivationFixture } from '../harness/activation.js';
import { connectTestClient, uniqueTaskQueue, withWorker, type TestTemporal } from '../harness/temporal.js';
import {
  DEVICE_PASSWORD,
  LISTENER,
  carrierBody,
  metricValue,
  niddBody,
  startWebhook,
  testDevice,
  type RunningWebhook,
} from './fixtures.js';
import { ACCOUNT, expected, expectedTest, signalledRecords, startRequest } from './temporal-helpers.js';

const CARRIER = '/callbacks/carrier-service';
const NIDD = '/callbacks/nidd-service';

let temporal: TestTemporal;
const handles: WorkflowHandle[] = [];
beforeAll(async () => {
  temporal = await connectTestClient();
});
afterAll(async () => {
  for (const handle of handles) await handle.terminate('test over').catch(() => undefined);
  await temporal.close();
});

async function withWebhook<R>(
  settings: Parameters<typeof startWebhook>[1],
  fn: (hook: RunningWebhook) => Promise<R>,
): Promise<R> {
  const hook = await startWebhook({ client: temporal.client }, settings);
  try {
    return await fn(hook);
  } finally {
    await hook.close();
  }
}

/** Resolves once the webhook has handed `count` callbacks to its batcher. */
function submitted(hook: RunningWebhook, count: number): Promise<void> {
  const { batcher } = hook.webhook;
  const submit = batcher.submit.bind(batcher);
  let seen = 0;
  return new Promise((resolve) => {
    batcher.submit = (...args) => {
      const delivery = submit(...args);
      if (++seen === count) resolve();
      return delivery;
    };
  });
}

/** Resolves once the webhook has acknowledged `count` callbacks of `outcome` (its own metric). */
async function acknowledged(hook: RunningWebhook, outcome: string, count: number): Promise<void> {
  for (;;) {
    if ((await metricValue(hook.webhook, 'webhook_callbacks_acknowledged_total', { outcome })) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Callbacks the workflow accounted for in any way: every acknowledged signalled callback must be among them. */
const accountedFor = (c: { applied: number; duplicates: number; unknown: number; late: number }) =>
  c.applied + c.duplicates + c.unknown + c.late;

describe('webhook → Temporal', () => {
  it('delivers the simulator’s callbacks (duplicated, reordered, racing the workflow start) into workflow state', async () => {
    const devices = [
      ...Array.from({ length: 24 }, (_, n) => seedDevice(n)),
      seedDevice(24, { outcome: { activation: 'failure', reason: 'Device not eligible for plan' } }),
      nbIotDevice(25),
      nbIotDevice(26, { outcome: { nidd: 'failure', niddReason: 'Not CatM or NBIoT Device' } }),
      nbIotDevice(27),
    ];
    const fixture = await startActivationFixture(devices, {
      outcomes: { failureRate: 0, niddFailureRate: 0, dropRate: 0, duplicateRate: 0.4, reorder: true },
      callbackConcurrency: 8,
    });
    const taskQueue = uniqueTaskQueue('webhook');
    try {
      await withWebhook({ batchWindowMs: 30, notFoundRetryMs: 15_000, taskQueue }, async (hook) => {
        // Registered through the CLI's code path: the callbacks below pass the credential check only if it
        // registered the right URLs and the pair the webhook expects.
        await registerCallbacks(fixture.thingspace, { url: hook.url, credentials: LISTENER, accountName: ACCOUNT });
        await withWorker(taskQueue, async () => {
          const { requestId } = await fixture.thingspace.activate({
            devices: devices.map((d) => ({ deviceIds: d.deviceIds.filter((id) => id.kind !== 'eid') })),
            servicePlan: '4G-IoT-1GB',
            mdnZipCode: '98801',
          });
          // The workflow starts only once callbacks have come and found none: they wait in its inbox.
          await acknowledged(hook, 'inboxed', 1);
          const handle = await startRequest(
            temporal,
            taskQueue,
            requestId,
            devices.map((d) => expected(d.deviceIds, d.type === 'NB-IoT')),
          );
          handles.push(handle);
          const result = await handle.result();
          await fixture.sim.admin.settled();

          const truth = fixture.sim.admin.request(requestId)!;
          const failed = truth.devices.filter((d) => d.result !== 'Success').length;
          expect(result.counts).toEqual({
            total: 28,
            // The NB-IoT device whose NIDD configuration failed is active: activated, with NIDD failed beside it.
            activated: 28 - failed,
            failed,
            skipped: 0,
            unresolved: 0,
            unconfirmed: 0,
            pending: 0,
          });
          const report = await handle.query(requestReportQuery, { offset: 0, limit: 100 });
          expect(report.every((r) => r.source === 'callback')).toBe(true);
          expect(report.find((r) => r.key === expected(devices[26]!.deviceIds).key)).toMatchObject({
            outcome: 'activated',
            nidd: 'failed',
            niddReason: 'Not CatM or NBIoT Device',
          });

          const progress = await handle.query(requestProgressQuery);
          const signalled = await metricValue(hook.webhook, 'webhook_callbacks_acknowledged_total', {
            outcome: 'signalled',
          });
          const inboxed = await metricValue(hook.webhook, 'webhook_callbacks_acknowledged_total', {
            outcome: 'inboxed',
          });
          const closed = await metricValue(hook.webhook, 'webhook_callbacks_acknowledged_total', {
            outcome: 'workflow_closed',
          });
          // The invariant: every callback answered 2xx before its workflow closed is accounted for in the workflow,
          // whether it was signalled directly or waited in the request's inbox.
          expect(accountedFor(progress.callbacks)).toBe(signalled + inboxed);
          expect(progress.callbacks.applied).toBe(28 + 3); // carrier for all, NIDD for the 3 NB-IoT devices
          expect(progress.callbacks.duplicates).toBeGreaterThan(0);
          expect(signalled + inboxed + closed).toBe(fixture.sim.admin.callbackStats().acknowledged);
          // Fewer signals than callbacks: they were batched.
          expect(progress.callbacks.signals).toBeLessThan(signalled + inboxed);
          // The race was real: callbacks came before the workflow existed and were kept in its inbox.
          expect(inboxed).toBeGreaterThan(0);
        });
      });
    } finally {
      await fixture.close();
    }
  });

  it('keeps a callback that comes before its workflow in the request inbox, durably, and hands it over', async () => {
    const taskQueue = uniqueTaskQueue('webhook');
    await withWebhook({ batchWindowMs: 10, taskQueue }, async (hook) => {
      const requestId = `early-${Date.now()}`;
      const device = testDevice(1);
      // No worker runs yet: the callback is recorded by signal-with-start all the same, and acknowledged.
      expect(await hook.post(CARRIER, carrierBody(requestId, device))).toEqual({
        status: 200,
        body: { result: 'inboxed' },
      });
      const inbox = temporal.client.workflow.getHandle(inboxWorkflowId(requestId));
      expect((await inbox.describe()).status.name).toBe('RUNNING');
      await withWorker(taskQueue, async () => {
        const view = await inbox.query(inboxQuery);
        expect(view).toMatchObject({ received: 1, held: 1 });
        expect(view.claimedBy).toBeUndefined();
        const handle = await startRequest(temporal, taskQueue, requestId, [expectedTest(device)]);
        handles.push(handle);
        const result = await handle.result();
        expect(result.counts.activated).toBe(1);
        expect(result.callbacks.applied).toBe(1);
        // The request released its inbox when it finished, before its report closed: a batch that comes while
        // the inbox answers is still applied (the phase turns `done` in the run's last task, with the result).
        expect(await inbox.result()).toMatchObject({ received: 1, forwarded: 1, unclaimedCount: 0 });
        const events = (await handle.fetchHistory()).events ?? [];
        const released = events.findIndex(
          (e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === releaseInboxSignal.name,
        );
        const done = events.findIndex((e) => {
          const phase =
            e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[ActivationPhase.name];
          return phase?.data !== undefined && phase.data !== null && Buffer.from(phase.data).toString() === '"done"';
        });
        expect(released).toBeGreaterThan(0);
        expect(done).toBeGreaterThan(released);
        await recordHistory(inboxWorkflowId(requestId), 'inbox-claimed');
        // 'request-claims-inbox' is the same request recorded before the release-inboxes-before-close patch.
        await recordHistory(handle.workflowId, 'request-releases-inbox-first');
      });
    });
  });

  it('keeps callbacks no request claims visible (Web UI phase, CLI), and lets them go when released', async () => {
    const taskQueue = uniqueTaskQueue('webhook');
    await withWebhook({ batchWindowMs: 10, taskQueue }, (hook) =>
      withWorker(taskQueue, async () => {
        const requestId = `other-tool-${Date.now()}`;
        const device = testDevice(3);
        expect(await hook.post(NIDD, niddBody(requestId, device))).toEqual({
          status: 200,
          body: { result: 'inboxed' },
        });
        const inbox = temporal.client.workflow.getHandle<typeof callbackInbox>(inboxWorkflowId(requestId));
        const view = await inbox.query(inboxQuery);
        expect(view).toMatchObject({ requestId, received: 1, held: 1 });
        expect(view.devices).toHaveLength(1);
        expect((await inbox.describe()).searchAttributes[ActivationPhase.name]).toEqual(['inbox-unclaimed']);
        // The operator's view: the CLI lists it, as a child process.
        const listed = await cli(['inboxes', '--json'], cliEnv(taskQueue));
        expect(listed.code).toBe(0);
        expect(JSON.parse(listed.stdout)).toEqual(
          expect.arrayContaining([expect.objectContaining({ requestId, received: 1, held: 1, devices: 1 })]),
        );
        // Let go (its time to live, 3 days by default, does the same: see the virtual-time test).
        await inbox.signal(releaseInboxSignal);
        const result = await inbox.result();
        expect(result).toMatchObject({ received: 1, unclaimedCount: 1 });
        expect(result.claimedBy).toBeUndefined();
        expect(result.unclaimed[0]).toMatchObject({ service: 'NiddService' });
        expect(JSON.stringify(result)).not.toContain(DEVICE_PASSWORD);
      }),
    );
  });

  it('keeps a callback for a closed workflow in a late inbox before acknowledging it, and logs it', async () => {
    const taskQueue = uniqueTaskQueue('webhook');
    await withWebhook({ batchWindowMs: 10, taskQueue }, (hook) =>
      withWorker(taskQueue, async () => {
        const requestId = `closed-${Date.now()}`;
        const device = testDevice(2);
        const handle = await startRequest(temporal, taskQueue, requestId, [expectedTest(device)]);
        handles.push(handle);
        expect((await hook.post(CARRIER, carrierBody(requestId, device))).status).toBe(200);
        await handle.result();
        const late = await hook.post(CARRIER, carrierBody(requestId, device, { callbackCount: 2 }));
        expect(late).toEqual({ status: 200, body: { result: 'workflow_closed' } });
        expect(
          await metricValue(hook.webhook, 'webhook_callbacks_acknowledged_total', { outcome: 'workflow_closed' }),
        ).toBe(1);
        const line = hook.logs
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => l.requestId === requestId);
        expect(line).toMatchObject({ msg: expect.stringMatching(/already closed.*kept in its inbox/), callbacks: 1 });
        // Not applied to the closed request, and not lost: its late inbox holds it, and says whose it is.
        expect((await handle.query(requestProgressQuery)).callbacks).toMatchObject({ applied: 1, signals: 1 });
        const inbox = temporal.client.workflow.getHandle<typeof callbackInbox>(inboxWorkflowId(requestId));
        handles.push(inbox);
        expect(await inbox.query(inboxQuery)).toMatchObject({
          lateFor: handle.workflowId,
          received: 1,
          held: 1,
          forwarded: 0,
        });
        expect((await inbox.describe()).searchAttributes[ActivationPhase.name]).toEqual(['inbox-late']);
        await recordHistory(inbox.workflowId, 'inbox-late');
        // The operator's view says whose it is.
        const listed = await cli(['inboxes', '--json'], cliEnv(taskQueue));
        expect(JSON.parse(listed.stdout)).toEqual(
          expect.arrayContaining([expect.objectContaining({ requestId, lateFor: handle.workflowId, held: 1 })]),
        );
      }),
    );
  });

  it('answers 401, 400 and 413 for bad callbacks, and none of them reaches the workflow', async () => {
    const taskQueue = uniqueTaskQueue('webhook');
    await withWebhook({ batchWindowMs: 10, bodyLimitBytes: 4_096 }, (hook) =>
      withWorker(taskQueue, async () => {
        const requestId = `bad-${Date.now()}`;
        const device = testDevice(3);
        const handle = await startRequest(temporal, taskQueue, requestId, [expectedTest(device)]);
        handles.push(handle);
        const good = carrierBody(requestId, device);

        const wrongPassword = await hook.post(CARRIER, { ...good, password: 'guess' });
        expect(wrongPassword).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
        const wrongUser = await hook.post(CARRIER, { ...good, username: 'someone' });
        expect(wrongUser.status).toBe(401);
        const noCredentials = await hook.post(NIDD, { ...niddBody(requestId, device), username: null, password: null });
        expect(noCredentials.status).toBe(401);

        const malformed = await hook.post(CARRIER, '{"username": "cb-user", "password": ');
        expect(malformed).toMatchObject({ status: 400, body: { error: 'malformed_json' } });
        expect(JSON.stringify(malformed.body)).not.toContain('cb-user');
        expect((await hook.post(CARRIER, '')).status).toBe(400);
        expect(await hook.post(CARRIER, [good])).toMatchObject({ status: 400, body: { error: 'invalid_body' } });

        const { deviceIds: _dropped, ...noDevice } = good;
        expect(await hook.post(CARRIER, { ...noDevice, requestId: '' })).toMatchObject({
          status: 400,
          body: { detail: 'requestId: requestId must not be empty; deviceIds: is required' },
        });
        // A CarrierService body on the NIDD path is refused by that path's schema, naming what is missing.
        expect(await hook.post(NIDD, good)).toMatchObject({
          status: 400,
          body: { detail: 'niddResponse: is required' },
        });

        const oversized = await hook.post(CARRIER, { ...good, padding: 'x'.repeat(5_000) });
        expect(oversized).toMatchObject({ status: 413, body: { error: 'too_large' } });

        // Unknown fields are fine, and a text/plain label does not stop a JSON body.
        const extra = await hook.post(
          CARRIER,
          { ...good, somethingNew: { nested: true } },
          { 'content-type': 'text/plain' },
        );
        expect(extra).toEqual({ status: 200, body: { result: 'signalled' } });

        const progress = await handle.query(requestProgressQuery);
        expect(progress.callbacks).toMatchObject({ signals: 1, applied: 1 });
        const rejected = (reason: string) => metricValue(hook.webhook, 'webhook_callbacks_rejected_total', { reason });
        expect(await rejected('unauthorized')).toBe(3);
        expect(await rejected('malformed_json')).toBe(2);
        expect(await rejected('invalid_body')).toBe(3);
        expect(await rejected('too_large')).toBe(1);
        expect(await metricValue(hook.webhook, 'webhook_callbacks_received_total', { route: CARRIER })).toBe(8);
      }),
    );
  });

  it('keeps secrets out of workflow history and out of the logs', async () => {
    const taskQueue = uniqueTaskQueue('webhook');
    await withWebhook({ batchWindowMs: 10, logLevel: 'trace' }, (hook) =>
      withWorker(taskQueue, async () => {
        const requestId = `secret-${Date.now()}`;
        const device = testDevice(4);
        const handle = await startRequest(temporal, taskQueue, requestId, [expectedTest(device)]);
        handles.push(handle);
        await hook.post(CARRIER, { ...carrierBody(requestId, device), password: `${LISTENER.password}-wrong` });
        await hook.post(CARRIER, { ...carrierBody(requestId, device), status: 7 });
        expect((await hook.post(CARRIER, carrierBody(requestId, device))).status).toBe(200);
        await handle.result();

        const records = await signalledRecords(handle);
        expect(records).toHaveLength(1);
        const history = JSON.stringify(records);
        expect(history).toContain(device.imei);
        const logs = hook.logs.join('\n');
        expect(logs).toContain('callback rejected');
        for (const secret of [LISTENER.password, DEVICE_PASSWORD]) {
          expect(history).not.toContain(secret);
          expect(logs).not.toContain(secret);
        }
      }),
    );
  });

  it('sends the batches waiting in the window when closed, then stops taking callbacks', async () => {
    const taskQueue = uniqueTaskQueue('webhook');
    await withWorker(taskQueue, async () => {
      const hook = await startWebhook({ client: temporal.client }, { batchWindowMs: 30_000 });
      const requestId = `drain-${Date.now()}`;
      const devices = [10, 11, 12].map(testDevice);
      const handle = await startRequest(temporal, taskQueue, requestId, devices.map(expectedTest));
      handles.push(handle);
      const waiting = submitted(hook, 3);
      const answers = devices.map((d) => hook.post(CARRIER, carrierBody(requestId, d)));
      await waiting;
      expect(hook.webhook.batcher.pending).toBe(3);
      const started = Date.now();
      await hook.close();
      expect((await Promise.all(answers)).map((a) => a.status)).toEqual([200, 200, 200]);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await handle.result()).counts.activated).toBe(3);
      await expect(hook.post(CARRIER, carrierBody(requestId, devices[0]!))).rejects.toThrow();
    });
  });

  it('reports ready only while Temporal answers, and answers 503 when it is gone', async () => {
    await withWebhook({}, async (hook) => {
      expect((await fetch(`${hook.url}/readyz`)).status).toBe(200);
    });
    const port = await freePort();
    const connection = Connection.lazy({ address: `127.0.0.1:${port}` });
    const client = new Client({ connection, namespace: temporal.namespace, dataConverter });
    const hook = await startWebhook({ client }, { batchWindowMs: 10, signalTimeoutMs: 1_000 });
    try {
      const started = Date.now();
      const answer = await hook.post(CARRIER, carrierBody(`down-${Date.now()}`, testDevice(5)));
      expect(answer).toMatchObject({ status: 503, body: { error: 'temporal_unavailable' } });
      expect(Date.now() - started).toBeLessThan(4_000);
      expect((await fetch(`${hook.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${hook.url}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`${hook.url}/metrics`)).text();
      expect(metrics).toMatch(/webhook_callbacks_rejected_total\{reason="temporal_unavailable"\} 1/);
      expect(metrics).toMatch(/webhook_signal_duration_seconds_count\{result="error"\} 1/);
    } finally {
      await hook.close();
      await connection.close();
    }
  });
});
