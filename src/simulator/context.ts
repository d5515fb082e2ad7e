import type { FastifyBaseLogger } from 'fastify';
import type { SimulatorConfig } from './config.js';
import type { Random } from './rng.js';
import type { SimScheduler } from './scheduler.js';

/**
 * What every part of the simulator shares. `config` is replaced (never mutated in place) when the admin API
 * patches it, so readers always see a consistent snapshot.
 */
export interface SimContext {
  config: SimulatorConfig;
  random: Random;
  log: FastifyBaseLogger;
  /** Wall clock for reported timestamps (history, createdAt): always real, see SimScheduler. */
  now(): number;
  /** Runs every delay; virtual in tests. */
  scheduler: SimScheduler;
}
