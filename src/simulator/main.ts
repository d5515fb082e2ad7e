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
import { z } from 'zod';
import { intSetting, optionalStringSetting, readSettings, stringSetting } from '../settings.js';
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
/** Each flag overrides its variable; both are checked by one schema, whose messages name the variable. */
const FLAG_VARIABLES = {
  port: 'SIM_PORT',
  host: 'SIM_HOST',
  'seed-file': 'SIM_SEED_FILE',
  devices: 'SIM_DEVICES',
  'config-file': 'SIM_CONFIG_FILE',
  'admin-token': 'SIM_ADMIN_TOKEN',
  'log-level': 'SIM_LOG_LEVEL',
} as const;
const SimulatorEnvSchema = z.object({
  SIM_PORT: intSetting(0, 65_535, 9100),
  SIM_HOST: stringSetting('127.0.0.1'),
  SIM_SEED_FILE: optionalStringSetting(),
  SIM_DEVICES: intSetting(0, 10_000_000, 1000),
  SIM_CONFIG_FILE: optionalStringSetting(),
  SIM_ADMIN_TOKEN: optionalStringSetting(),
  SIM_LOG_LEVEL: optionalStringSetting(),
  SIM_MANUAL_CLOCK: z
    .string()
    .optional()
    .transform((value) => value === '1'),
});
const fromFlags = Object.fromEntries(
  Object.entries(FLAG_VARIABLES).flatMap(([flag, name]) => {
    const value = values[flag as keyof typeof FLAG_VARIABLES];
    return value === undefined ? [] : [[name, value]];
  }),
);
const settings = readSettings(SimulatorEnvSchema, { ...process.env, ...fromFlags }, 'simulator settings');
const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

const seedFile = settings.SIM_SEED_FILE;
const configFile = settings.SIM_CONFIG_FILE;
const patch: ConfigPatch = configFile ? await readJson<ConfigPatch>(configFile) : {};
const seed: SimulatorSeed = seedFile
  ? SimulatorSeedSchema.parse(await readJson<unknown>(seedFile))
  : generateSeed({
      count: settings.SIM_DEVICES,
      notInAccountShare: 0.02,
      seed: patch.randomSeed ?? 1,
    });

const manualClock = values['manual-clock'] === true || settings.SIM_MANUAL_CLOCK;
const simulator = await startSimulator({
  ...(manualClock ? { scheduler: new ManualScheduler() } : {}),
  host: settings.SIM_HOST,
  port: settings.SIM_PORT,
  seed,
  config: {
    ...patch,
    adminToken: settings.SIM_ADMIN_TOKEN ?? patch.adminToken ?? null,
    logLevel: (settings.SIM_LOG_LEVEL as ConfigPatch['logLevel']) ?? patch.logLevel ?? 'info',
  },
});

// Names only: app secrets and passwords come from the seed and never appear in output.
console.log(`ThingSpace simulator listening: ${simulator.url}`);
const blockDevices = (seed.blocks ?? []).reduce((sum, b) => sum + b.count, 0);
console.log(`  accounts: ${seed.accounts.join(', ')}; devices: ${seed.devices.length + blockDevices}`);
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
