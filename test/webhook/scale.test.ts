/**
 * A full 10,000-device request: the simulator sends every callback over HTTP and the webhook must fold them into
 * few signals, because Temporal allows 10,000 signals per run and warns far below that.
 */
import { describe, expect, it } from '@jest/globals';
import { registerCallbacks } from '../../src/cli/register-callbacks.js';
import { requestProgressQuery } from '../../src/workflows/request.js';
import { seedDevice, startActivationFixture } from '../harness/activation.js';
import { uniqueTaskQueue, withWorker } from '../harness/temporal.js';
import { useTestTemporal } from '../harness/test-temporal.js';
import { LISTENER, metricValue, startWebhook } from './fixtures.js';
import { ACCOUNT, expected, startRequest } from './temporal-helpers.js';

const DEVICES = 10_000;

const temporal = useTestTemporal();

describe('webhook at the size of a full request', () => {
  it('brings 10,000 callbacks of one request to the workflow in at most 50 signals', async () => {
    const devices = Array.from({ length: DEVICES }, (_, n) => seedDevice(n));
    // A batch can hold only callbacks whose senders are still waiting, so the sender's concurrency bounds the batch
    // size: 10,000 in 50 signals needs at least 200 in flight (ThingSpace's real concurrency is not documented).
    const fixture = await startActivationFixture(devices, {
      outcomes: { failureRate: 0.05, niddFailureRate: 0, dropRate: 0, duplicateRate: 0, reorder: true },
      callbackConcurrency: 400,
    });
    // A longer window than the default 100 ms: on a loaded 2-core machine the callbacks arrive more slowly than
    // ThingSpace would send them, and a batch closed by the window would be smaller than the request warrants.
    const hook = await startWebhook({ client: temporal.client }, { batchWindowMs: 500, batchMax: 500 });
    const taskQueue = uniqueTaskQueue('webhook-scale');
    try {
      await registerCallbacks(fixture.thingspace, { url: hook.url, credentials: LISTENER, accountName: ACCOUNT });
      await withWorker(taskQueue, async () => {
        // Callbacks are held until the workflow exists, so that the count below is about batching alone.
        fixture.sim.admin.pauseCallbacks();
        const { requestId } = await fixture.thingspace.activate({
          devices: devices.map((d) => ({ deviceIds: d.deviceIds })),
          servicePlan: '4G-IoT-1GB',
          mdnZipCode: '98801',
        });
        const handle = await startRequest(
          temporal,
          taskQueue,
          requestId,
          devices.map((d) => expected(d.deviceIds)),
        );
        const started = Date.now();
        fixture.sim.admin.resumeCallbacks();
        const result = await handle.result();
        const seconds = (Date.now() - started) / 1000;
        await fixture.sim.admin.settled();

        const truth = fixture.sim.admin.request(requestId)!;
        const failed = truth.devices.filter((d) => d.result !== 'Success').length;
        expect(failed).toBeGreaterThan(0);
        expect(result.counts).toMatchObject({ total: DEVICES, activated: DEVICES - failed, failed, pending: 0 });
        const progress = await handle.query(requestProgressQuery);
        expect(progress.callbacks).toMatchObject({ applied: DEVICES, unknown: 0 });
        // A duplicate is a resend: a signal that Temporal took but answered too late for the webhook (503, resent).
        expect(progress.callbacks.duplicates).toBeLessThanOrEqual(fixture.sim.admin.callbackStats().failedSends);
        expect(progress.callbacks.signals).toBeLessThanOrEqual(50);
        expect(await metricValue(hook.webhook, 'webhook_callbacks_acknowledged_total', { outcome: 'signalled' })).toBe(
          DEVICES,
        );
        console.info(
          `10,000 callbacks: ${progress.callbacks.signals} signals, ${Math.round(DEVICES / seconds)} callbacks/s`,
        );
      });
    } finally {
      await hook.close();
      await fixture.close();
    }
  });
});
