import type { FastifyBaseLogger } from 'fastify';
import type { SimulatorConfig } from './config.js';
import type { Random } from './rng.js';

/**
 * What every part of the simulator shares. `config` is replaced (never mutated in place) when the admin API
 * patches it, so readers always see a consistent snapshot.
 */
export interface SimContext {
  config: SimulatorConfig;
  random: Random;
  log: FastifyBaseLogger;
  now(): number;
}
