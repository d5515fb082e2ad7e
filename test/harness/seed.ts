/**
 * Seeds for tests that make random choices: taken from an environment variable when set (to rerun a failure),
 * otherwise fresh, and printed either way so any run can be reproduced.
 */
import { randomInt } from 'node:crypto';
import { createRandom, type Random } from '../../src/simulator/rng.js';

export function testSeed(what: string, envVar: string): number {
  const given = process.env[envVar];
  const seed = given === undefined || given === '' ? randomInt(2 ** 31) : Number(given);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`${envVar}=${given}: must be a non-negative integer (the seed printed by an earlier run)`);
  }
  console.log(`${what}: seed ${seed} (rerun with ${envVar}=${seed})`);
  return seed;
}

/** A seeded generator of numbers in [0, 1), the simulator's own (mulberry32). */
export function seededRandom(seed: number): Random {
  return createRandom(seed);
}
