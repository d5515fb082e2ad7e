import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { BrowserContext } from 'playwright-core';
import { ActivationClient } from '../../src/client.js';
import { startLocalCodecServer, type LocalCodecServer } from '../../src/devserver/codec-server-process.js';
import { freePort, startDevServer, type DevServer } from '../../src/devserver/dev-server.js';
import { dataConverterFromEnv } from '../../src/temporal/data-converter.js';
import { launchChromium } from '../harness/chromium.js';
import { jobRequest, seedDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { uniqueTaskQueue, withActivationWorkers } from '../harness/temporal.js';

// Encryption on: every payload the Web UI receives is sealed (and gzipped first above 4 KB), so what it shows as
// JSON it can only have got through the codec server.
const encryption = {
  PAYLOAD_ENCRYPTION_KEYS: `ui-test:${randomBytes(32).toString('base64')}`,
  PAYLOAD_ENCRYPTION_KEY_ID: 'ui-test',
};
const seeds = Array.from({ length: 60 }, (_, i) =>
  seedDevice(4_000 + i, i === 7 ? { outcome: { activation: 'failure', reason: 'Bad SIM' } } : {}),
);

let codec: LocalCodecServer;
let server: DevServer;
let fixture: ActivationFixture;
let browser: BrowserContext;

beforeAll(async () => {
  const uiPort = await freePort();
  codec = await startLocalCodecServer({ port: await freePort(), uiPort, env: encryption });
  server = await startDevServer({ uiPort, extraArgs: ['--ui-codec-endpoint', codec.endpoint] });
  fixture = await startActivationFixture(seeds);
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await fixture?.close();
  await server?.stop();
  await codec?.process.kill();
});

describe('the Web UI of a dev server started with the codec endpoint', () => {
  it("shows an encrypted job's device list and result decoded, as JSON", async () => {
    const dataConverter = dataConverterFromEnv(encryption);
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: server.namespace, dataConverter });
    const taskQueue = uniqueTaskQueue('web-ui');
    const jobId = `web-ui-${Date.now()}`;
    try {
      await withActivationWorkers(
        taskQueue,
        fixture.thingspace,
        async () => {
          const activation = new ActivationClient(client, taskQueue);
          const { handle } = await activation.startJob(
            jobRequest(jobId, seeds, { callbackTimeout: '1 second', pollInterval: '300 milliseconds' }),
          );
          expect((await handle.result()).counts).toMatchObject({ activated: 59, failed: 1 });
        },
        { dataConverter, server },
      );
      // What Temporal stores is sealed: the UI cannot show the devices without the codec server.
      const raw = new Client({ connection, namespace: server.namespace });
      const stored = JSON.stringify(await raw.workflow.getHandle(jobId).fetchHistory());
      expect(stored).not.toContain('350000000004007');

      const page = await browser.newPage();
      await page.goto(`${server.uiUrl}/namespaces/${server.namespace}/workflows/${jobId}`);
      // The input's device list and the result, decoded, as JSON text (the code viewer renders the lines in view).
      await page.getByText('"350000000004000"').first().waitFor({ timeout: 30_000 });
      await page.getByText('"phase": "done"').first().waitFor({ timeout: 30_000 });
      const text = await page.locator('body').innerText();
      expect(text).toMatch(/Input\s[\s⌄]*\{\s*"jobId": "web-ui-\d+",\s*"accountName": "0868924207-00001"/);
      expect(text).toMatch(/"devices": \[\s*\{\s*"deviceIds": \[\s*\{\s*"kind": "imei",\s*"id": "350000000004000"/);
      expect(text).toMatch(
        /Result\s[\s⌄]*\{\s*"jobId": "web-ui-\d+",\s*"phase": "done",\s*"counts": \{\s*"total": 60,\s*"activated": 59,\s*"failed": 1/,
      );
      expect(text).not.toMatch(/binary\/encrypted|binary\/gzip|"encoding"/);

      // The control: without the codec server the same page shows the sealed payloads, base64, and no device.
      await codec.process.kill();
      await page.reload();
      const base64Encoding = Buffer.from('binary/encrypted').toString('base64');
      await page.getByText(`"${base64Encoding}"`).first().waitFor({ timeout: 30_000 });
      const sealed = await page.locator('body').innerText();
      expect(sealed).toContain('Codec Server could not connect');
      expect(sealed).toMatch(new RegExp(`Input\\s[\\s⌄]*\\{\\s*"metadata": \\{\\s*"encoding": "${base64Encoding}"`));
      expect(sealed).not.toContain('350000000004000');
      await page.close();
    } finally {
      await connection.close();
    }
  }, 240_000);
});
