/**
 * The liveness heartbeat every read-only activity runs must not erase the progress a look-up reported: Temporal
 * keeps only the latest heartbeat's details, and a retry resumes from them.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { HEARTBEAT_EVERY_MS } from '../../src/activation/activity-timing.js';
import { heartbeatProgress, withHeartbeat } from '../../src/activities/heartbeat.js';
import { runActivity } from './helpers.js';

describe('withHeartbeat', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('repeats the last progress reported instead of sending empty details', async () => {
    const run = runActivity(() =>
      withHeartbeat(async () => {
        jest.advanceTimersByTime(HEARTBEAT_EVERY_MS);
        heartbeatProgress({ cursor: '7300000500' });
        jest.advanceTimersByTime(HEARTBEAT_EVERY_MS);
        heartbeatProgress({ cursor: '7300001000' });
        jest.advanceTimersByTime(2 * HEARTBEAT_EVERY_MS);
        return 'done';
      }),
    );
    expect(await run.result).toBe('done');
    expect(run.heartbeats).toEqual([
      undefined, // nothing reported yet
      { cursor: '7300000500' },
      { cursor: '7300000500' },
      { cursor: '7300001000' },
      { cursor: '7300001000' },
      { cursor: '7300001000' },
    ]);
  });
});
