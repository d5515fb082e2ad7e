/**
 * `npm run simulator` — starts the ThingSpace simulator for the demo and for staging.
 *   --port / SIM_PORT (9100)            --host / SIM_HOST (127.0.0.1)
 *   --seed-file / SIM_SEED_FILE         JSON SimulatorSeed; otherwise devices are generated
 *   --devices / SIM_DEVICES (1000)      generated devices per account
 *   --config-file / SIM_CONFIG_FILE     JSON config patch (delays, faults, outcome mix …)
 *   --admin-token / SIM_ADMIN_TOKEN     enables /admin with this bearer token
 *   --log-level / SIM_LOG_LEVEL (info)
 *   --manual-clock / SIM_MANUAL_CLOCK=1 delays run on a virtual clock advanced by POST /admin/clock/advance
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ConfigPatch } from './config.js';
import { generateSeed } from './generate.js';
import { ManualScheduler, startSimulator } from './index.js';
import type { SimulatorSeed } from './model.js';
import { SimulatorSeedSchema } from './seed-schema.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'seed-file': { type: 'string' },
    devices: { type: 'string' },
    'config-file': { type: 'string' },
    'admin-token': { type: 'string' },
    'log-level': { type: 'string' },
    'manual-clock': { type: 'boolean' },
  },
});
const env = process.env;
const option = (name: keyof typeof values, envName: string) => (values[name] as string | undefined) ?? env[envName];
const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

const seedFile = option('seed-file', 'SIM_SEED_FILE');
const configFile = option('config-file', 'SIM_CONFIG_FILE');
const patch: ConfigPatch = configFile ? await readJson<ConfigPatch>(configFile) : {};
const seed: SimulatorSeed = seedFile
  ? SimulatorSeedSchema.parse(await readJson<unknown>(seedFile))
  : generateSeed({
      count: Number(option('devices', 'SIM_DEVICES') ?? 1000),
      notInAccountShare: 0.02,
      seed: patch.randomSeed ?? 1,
    });

const manualClock = values['manual-clock'] === true || env.SIM_MANUAL_CLOCK === '1';
const simulator = await startSimulator({
  ...(manualClock ? { scheduler: new ManualScheduler() } : {}),
  host: option('host', 'SIM_HOST') ?? '127.0.0.1',
  port: Number(option('port', 'SIM_PORT') ?? 9100),
  seed,
  config: {
    ...patch,
    adminToken: option('admin-token', 'SIM_ADMIN_TOKEN') ?? patch.adminToken ?? null,
    logLevel: (option('log-level', 'SIM_LOG_LEVEL') as ConfigPatch['logLevel']) ?? patch.logLevel ?? 'info',
  },
});

// Names only: app secrets and passwords come from the seed and never appear in output.
console.log(`ThingSpace simulator listening: ${simulator.url}`);
console.log(`  accounts: ${seed.accounts.join(', ')}; devices: ${seed.devices.length}`);
console.log(
  `  app keys: ${seed.apps.map((a) => a.appKey).join(', ')}; users: ${seed.users.map((u) => u.username).join(', ')}`,
);
console.log(
  `  admin API: ${simulator.admin.getConfig().adminToken ? `${simulator.origin}/admin` : 'disabled (set SIM_ADMIN_TOKEN)'}`,
);

if (manualClock) console.log('  clock: manual (POST /admin/clock/advance {"ms": n} moves it)');

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: closing the simulator`);
  simulator.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
