/**
 * `npm run cluster`: a real Temporal cluster on PostgreSQL with our workers, webhooks and the ThingSpace
 * simulator, as separate processes on this machine (see cluster.ts). Prints what runs where, then runs until
 * SIGTERM or Ctrl+C, when it stops everything and exits.
 *   --devices N      generated simulator devices (default 1000)
 *   --workers N      our workers (default 2)       --webhooks N   our webhooks (default 2)
 *   --log-dir DIR    process logs (default .data/cluster/logs)
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSeed } from '../simulator/index.js';
import { startCluster, type Cluster } from './cluster.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '2' },
    webhooks: { type: 'string', default: '2' },
    'log-dir': { type: 'string', default: '.data/cluster/logs' },
  },
});

function count(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return value;
}

let cluster: Promise<Cluster> | undefined;
let stopping: Promise<void> | undefined;
/**
 * The first signal stops in order (during start-up: once the start has finished or failed); a second one while
 * stopping is ignored, the children have been told.
 */
function stop(signal: string): Promise<void> {
  stopping ??= (async () => {
    console.log(`\n${signal}: stopping the cluster…`);
    const started = Date.now();
    await (await cluster?.catch(() => undefined))?.stop();
    console.log(`Cluster stopped (${((Date.now() - started) / 1000).toFixed(1)} s).`);
  })();
  return stopping;
}

async function main() {
  const devices = count('devices', values.devices, 10, 50_000);
  const workers = count('workers', values.workers, 1, 8);
  const webhooks = count('webhooks', values.webhooks, 1, 8);
  const logDir = resolve(values['log-dir']);
  const exit = (signal: string) => {
    void stop(signal).then(() => process.exit(0));
  };
  process.on('SIGINT', exit).on('SIGTERM', exit);
  // `npm run cluster` does not pass SIGTERM on: npm dies and we are re-parented. Seeing that, stop as if told to,
  // rather than leave the cluster running with no one to stop it.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) exit('npm exited');
  }, 500).unref();

  const started = Date.now();
  cluster = startCluster({
    logDir,
    workers,
    webhooks,
    simulator: {
      seed: generateSeed({ count: devices, nbIotShare: 0.1, notInAccountShare: 0.02, seed: 7 }),
      config: { activationDelayMs: 500, activationJitterMs: 3_000, callbackDelayMs: 200, logLevel: 'warn' },
    },
    log: (line) => console.log(`▶ ${line}`),
  });
  const running = await cluster;
  if (stopping) return;
  console.log(`\nCluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
  const rows = running.describe();
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const row of rows)
    console.log(`  ${row.name.padEnd(width)}  pid ${String(row.pid ?? '-').padEnd(7)}  ${row.where}`);
  console.log(`
Temporal: TEMPORAL_ADDRESS=${running.address} TEMPORAL_NAMESPACE=${running.namespace}; task queue ${running.taskQueue}
ThingSpace: THINGSPACE_BASE_URL=${running.simulatorUrl} (the simulator's default app and user)
Logs: ${logDir}
Press Ctrl+C (or send SIGTERM to pid ${process.pid}) to stop everything.`);
}

main().catch(async (err: unknown) => {
  console.error(`cluster failed: ${err instanceof Error ? err.message : String(err)}`);
  await stop('error');
  process.exit(1);
});
