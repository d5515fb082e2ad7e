/**
 * `npm run simulator` — starts the ThingSpace simulator for the demo and for staging.
 *   --port / SIM_PORT (9100)            --host / SIM_HOST (127.0.0.1)
 *   --seed-file / SIM_SEED_FILE         JSON SimulatorSeed; otherwise devices are generated
 *   --devices / SIM_DEVICES (1000)      generated devices per account
 *   --config-file / SIM_CONFIG_FILE     JSON config patch (delays, faults, outcome mix …)
 *   --admin-token / SIM_ADMIN_TOKEN     enables /admin with this bearer token
 *   --log-level / SIM_LOG_LEVEL (info)
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ConfigPatch } from './config.js';
import { generateSeed } from './generate.js';
import { startSimulator } from './index.js';
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

const simulator = await startSimulator({
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
