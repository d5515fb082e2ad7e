import type { AddressInfo } from 'node:net';
import { SimulatorAdmin } from './admin.js';
import { defaultConfig, mergeConfig, type ConfigPatch } from './config.js';
import { createCore } from './core.js';
import { generateSeed } from './generate.js';
import type { SimulatorSeed } from './model.js';
import { adminRoutes } from './routes/admin.js';
import { realScheduler, type SimScheduler } from './scheduler.js';
import { apiRoutes, createApp } from './server.js';

export type { SimulatorConfig, ConfigPatch, FaultConfig, OutcomeMix, AmbiguousMode } from './config.js';
export type { SimulatorSeed, SeedDevice, SeedUser, SeedApp, DeviceOutcome, DeviceBlockSeed } from './model.js';
export { blockDeviceIds } from './device-block.js';
export type {
  DeviceTruth,
  SubmissionReport,
  RequestTruth,
  DeviceQuery,
  DeviceRecord,
  SimulatorRecord,
  RecordQuery,
  CallbackOutcome,
  ClockState,
} from './admin.js';
export type { CallbackTruth, CallbackRecord, DeliveryStats } from './delivery.js';
export type { ListCallRecord, ListWatchOptions, ListWatchState } from './list-watch.js';
export { ManualScheduler, realScheduler, type SimScheduler, type SimTimer } from './scheduler.js';
export type { ScheduledFault, FaultKind, RouteName } from './faults.js';
export { SimulatorAdmin } from './admin.js';
export { ErrorCodes, DOCUMENTED_ACTIVATE_ERROR_CODES } from './errors.js';
export {
  generateSeed,
  simulatorThingSpaceEnv,
  DEFAULT_ACCOUNT,
  DEFAULT_APP,
  DEFAULT_USER,
  type GenerateOptions,
} from './generate.js';
export { defaultConfig } from './config.js';

export interface SimulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Accounts, credentials and devices; a generated 100-device account when absent. */
  seed?: SimulatorSeed;
  config?: ConfigPatch;
  /**
   * Runs every simulator delay (activation completion, callback delay and retry backoff). Real timers by default;
   * tests pass a ManualScheduler and advance virtual time instead of waiting.
   */
  scheduler?: SimScheduler;
  /** The clock behind token and session lifetimes and timestamps (Date.now by default); tests move their own. */
  now?: () => number;
}

export interface RunningSimulator {
  /** Base URL ending in /api: the client's baseUrl. */
  url: string;
  port: number;
  /** Origin of the admin API (`${origin}/admin/...`). */
  origin: string;
  admin: SimulatorAdmin;
  /** The scheduler the simulator runs its delays on (the one passed in, or real timers). */
  scheduler: SimScheduler;
  /** The simulator's own record of every device: submissions, activations, state, callbacks (= admin.record). */
  record: SimulatorAdmin['record'];
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const config = mergeConfig(defaultConfig, options.config);
  const seed = options.seed ?? generateSeed({ count: 100, seed: config.randomSeed });
  const app = createApp(config.logLevel);
  const scheduler = options.scheduler ?? realScheduler;
  const core = createCore(seed, config, app.log, scheduler, options.now);
  const admin = new SimulatorAdmin(core);
  await app.register(apiRoutes(core), { prefix: '/api' });
  await app.register(async (scope) => adminRoutes(scope, admin, config.adminToken), { prefix: '/admin' });
  app.get('/health', async () => ({ ok: true }));

  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/api`,
    port,
    origin,
    admin,
    scheduler,
    record: (query) => admin.record(query),
    close: () =>
      (closing ??= (async () => {
        core.listWatch.stop();
        core.activation.close();
        await core.delivery.close();
        await app.close();
      })()),
  };
}
