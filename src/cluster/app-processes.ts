/**
 * Our own processes in the cluster, each started as `npm run worker` / `webhook` / `simulator` would be (tsx on the
 * TypeScript entry point) and configured only through the environment, as in production.
 */
import { workerProcessEnv } from '../worker-heap.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Supervised } from './supervised.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function tsProcess(name: string, entry: string, env: NodeJS.ProcessEnv, logDir: string): Supervised {
  return new Supervised({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', entry],
    cwd: ROOT,
    env,
    logFile: join(logDir, `${name}.log`),
    // Workers finish their tasks in flight, webhooks flush their batches.
    stopTimeoutMs: 30_000,
  });
}

export const READY = {
  worker: /Worker polling/,
  webhook: /webhook ready for ThingSpace callbacks/,
  simulator: /simulator listening/,
} as const;

export function workerProcess(index: number, env: NodeJS.ProcessEnv, logDir: string): Supervised {
  return tsProcess(`worker-${index}`, 'src/worker.ts', { ...env, ...workerProcessEnv() }, logDir);
}

export function webhookProcess(index: number, port: number, env: NodeJS.ProcessEnv, logDir: string): Supervised {
  return tsProcess(
    `webhook-${index}`,
    'src/webhook/main.ts',
    { ...env, WEBHOOK_HOST: '127.0.0.1', WEBHOOK_PORT: String(port) },
    logDir,
  );
}

export function simulatorProcess(
  options: { port: number; seedFile: string; configFile: string; adminToken: string },
  logDir: string,
): Supervised {
  return tsProcess(
    'simulator',
    'src/simulator/main.ts',
    {
      SIM_HOST: '127.0.0.1',
      SIM_PORT: String(options.port),
      SIM_SEED_FILE: options.seedFile,
      SIM_CONFIG_FILE: options.configFile,
      SIM_ADMIN_TOKEN: options.adminToken,
    },
    logDir,
  );
}

/** `thingspace-activation register-callbacks` (the CLI, as an operator runs it) against the simulator. */
export function registerCallbacksArgs(url: string): string[] {
  return ['--import', 'tsx', join(ROOT, 'src/starter.ts'), 'register-callbacks', '--url', url];
}
