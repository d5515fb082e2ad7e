/**
 * One Temporal dev server (custom search attributes registered) and one workflow bundle for the whole test run.
 * Test files find both through the environment (see ./temporal.ts). Loaded by global-setup.js and
 * global-teardown.js, which share `globalThis` in jest's parent process.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../src/devserver/dev-server.js';
import { bundleWorkflows } from '../../src/temporal/workflow-bundle.js';

declare global {
  var __temporalDevServer: DevServer | undefined;
}

export async function setUp(): Promise<void> {
  const server = await startDevServer({ log: () => {} });
  globalThis.__temporalDevServer = server;
  try {
    const { code } = await bundleWorkflows();
    const dir = await mkdtemp(join(tmpdir(), 'thingspace-activation-test-'));
    const bundlePath = join(dir, 'workflow-bundle.js');
    await writeFile(bundlePath, code);
    process.env.TEMPORAL_TEST_ADDRESS = server.address;
    process.env.TEMPORAL_TEST_NAMESPACE = server.namespace;
    process.env.TEMPORAL_TEST_WORKFLOW_BUNDLE = bundlePath;
  } catch (err) {
    await server.stop();
    throw err;
  }
}

export async function tearDown(): Promise<void> {
  await globalThis.__temporalDevServer?.stop();
}
