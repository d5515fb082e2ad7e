/**
 * What a scale test runs against: a simulator of `seeds` sending callbacks with many senders, the webhook, and a
 * scratch directory. Callbacks that beat their request workflow wait in an inbox, which runs on the workers' task
 * queue: the webhook is given it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerCallbacks } from '../../src/cli/register-callbacks.js';
import type { SeedDevice } from '../../src/simulator/index.js';
import { startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { connectTestClient, type TestTemporal } from '../harness/temporal.js';
import { LISTENER, startWebhook, type RunningWebhook } from '../webhook/fixtures.js';

export interface ScaleFixture {
  temporal: TestTemporal;
  activation: ActivationFixture;
  webhook: RunningWebhook;
  dir: string;
  close(): Promise<void>;
}

export async function startScaleFixture(seeds: SeedDevice[], taskQueue: string): Promise<ScaleFixture> {
  const dir = await mkdtemp(join(tmpdir(), `${taskQueue}-`));
  const temporal = await connectTestClient();
  const activation = await startActivationFixture(seeds, { callbackConcurrency: 256 });
  const webhook = await startWebhook({ client: temporal.client }, { taskQueue });
  await registerCallbacks(activation.thingspace, { url: webhook.url, credentials: LISTENER });
  return {
    temporal,
    activation,
    webhook,
    dir,
    async close() {
      await webhook.close();
      await activation.close();
      await temporal.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
