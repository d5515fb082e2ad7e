/** The bench's ThingSpace floor comes from the simulator's own limits, not from numbers written into the bench. */
import { describe, expect, it } from '@jest/globals';
import { apiFloor } from '../../bench/floor.js';
import { defaultConfig } from '../../src/simulator/index.js';

describe('apiFloor', () => {
  it("is the activate requests the devices need at the account's rate limit", () => {
    expect(apiFloor(1_000_000, defaultConfig)).toEqual({ requests: 100, seconds: 60 });
    expect(apiFloor(1_000, defaultConfig)).toEqual({ requests: 1, seconds: 0.6 });
    expect(apiFloor(10_001, defaultConfig)).toEqual({ requests: 2, seconds: 1.2 });
  });

  it('follows the limits it is given', () => {
    const halfRate = { maxDevicesPerActivate: 5_000, activateRateLimit: { max: 50, windowMs: 60_000 } };
    expect(apiFloor(1_000_000, halfRate)).toEqual({ requests: 200, seconds: 240 });
  });
});
