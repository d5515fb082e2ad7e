import type { FastifyBaseLogger } from 'fastify';
import { ActivationService } from './activation.js';
import { AuthStore } from './auth.js';
import type { SimulatorConfig } from './config.js';
import type { SimContext } from './context.js';
import { CallbackDelivery } from './delivery.js';
import { DeviceStore } from './devices.js';
import { FaultInjector } from './faults.js';
import { ListWatch } from './list-watch.js';
import type { SimulatorSeed } from './model.js';
import { SlidingWindowLimiter } from './rate-limit.js';
import { RegistrationStore } from './registrations.js';
import { createRandom } from './rng.js';
import { realScheduler, type SimScheduler } from './scheduler.js';

/** The simulator's whole state, shared by the HTTP routes and the in-process admin handle. */
export interface SimCore {
  ctx: SimContext;
  auth: AuthStore;
  devices: DeviceStore;
  registrations: RegistrationStore;
  delivery: CallbackDelivery;
  activation: ActivationService;
  faults: FaultInjector;
  /** A test's watch over list calls (records them, can hold them); inert unless started. */
  listWatch: ListWatch;
  activateLimiter: SlidingWindowLimiter;
  accounts: Set<string>;
}

export function createCore(
  seed: SimulatorSeed,
  config: SimulatorConfig,
  log: FastifyBaseLogger,
  scheduler: SimScheduler = realScheduler,
  now: () => number = Date.now,
): SimCore {
  const ctx: SimContext = { config, random: createRandom(config.randomSeed), log, now, scheduler };
  const devices = new DeviceStore(ctx);
  for (const device of seed.devices) devices.add(device);
  for (const block of seed.blocks ?? []) devices.addBlock(block);
  const registrations = new RegistrationStore();
  const delivery = new CallbackDelivery(ctx, registrations);
  return {
    ctx,
    auth: new AuthStore(ctx, seed.apps, seed.users),
    devices,
    registrations,
    delivery,
    activation: new ActivationService(ctx, devices, delivery),
    faults: new FaultInjector(ctx),
    listWatch: new ListWatch(),
    activateLimiter: new SlidingWindowLimiter(),
    accounts: new Set([
      ...seed.accounts,
      ...seed.devices.map((d) => d.accountName),
      ...(seed.blocks ?? []).map((b) => b.accountName),
    ]),
  };
}
