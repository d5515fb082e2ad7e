/**
 * The webhook's watch over its TASK_QUEUE: with no worker polling it (a webhook configured apart from the workers),
 * it warns and exports 0 pollers; once a worker polls, it says so and exports the count.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectTestClient, uniqueTaskQueue, withWorker, type TestTemporal } from '../harness/temporal.js';
import { metricValue, startWebhook, type RunningWebhook } from './fixtures.js';

let temporal: TestTemporal;
let running: RunningWebhook;
const taskQueue = uniqueTaskQueue('queue-watch');

beforeAll(async () => {
  temporal = await connectTestClient();
  running = await startWebhook({ client: temporal.client }, { taskQueue });
});
afterAll(async () => {
  await running.close();
  await temporal.close();
});

describe("the webhook's watch over its task queue", () => {
  it('warns while no worker polls it, and says when one does', async () => {
    const watch = running.webhook.queueWatch!;
    expect(await watch.check()).toBe(0);
    expect(await metricValue(running.webhook, 'webhook_task_queue_workflow_pollers')).toBe(0);
    const warnings = () => running.logs.filter((line) => line.includes(`no worker polls task queue ${taskQueue}`));
    // Once for the start's check and not again for this one: a warning per change, not per minute.
    expect(warnings()).toHaveLength(1);
    expect(JSON.parse(warnings()[0]!)).toMatchObject({ level: 40, taskQueue });

    const seen = await withWorker(taskQueue, async () => {
      // Temporal lists a poller once its first poll arrives.
      let pollers = 0;
      while (pollers === 0) pollers = (await watch.check()) ?? 0;
      return pollers;
    });
    expect(seen).toBeGreaterThanOrEqual(1);
    expect(await metricValue(running.webhook, 'webhook_task_queue_workflow_pollers')).toBe(seen);
    expect(running.logs.some((line) => line.includes(`workers poll task queue ${taskQueue} again`))).toBe(true);
  });
});
