/** How a job's size and its requests' size decide where its devices go: inline, one stored list, or parts. */
import { describe, expect, it } from '@jest/globals';
import {
  DEVICES_PER_PART,
  devicesPerPart,
  INLINE_DEVICES_MAX,
  MAX_PARTS,
  MAX_REQUESTS_PER_JOB,
  needsStoredList,
} from '../../src/activation/job-limits.js';
import { MAX_DEVICES_PER_LIST } from '../../src/activation/device-list.js';

describe('job limits', () => {
  it('cuts parts that send at most MAX_REQUESTS_PER_JOB requests each', () => {
    expect(devicesPerPart()).toBe(DEVICES_PER_PART);
    expect(devicesPerPart(20)).toBe(DEVICES_PER_PART);
    expect(devicesPerPart(19)).toBe(19 * MAX_REQUESTS_PER_JOB);
    expect(devicesPerPart(1)).toBe(MAX_REQUESTS_PER_JOB);
    for (const size of [1, 7, 19, 20, 333, 10_000]) {
      expect(Math.ceil(devicesPerPart(size) / size)).toBeLessThanOrEqual(MAX_REQUESTS_PER_JOB);
    }
  });

  it('holds the largest stored list in MAX_PARTS parts at the default request size', () => {
    expect(MAX_PARTS * devicesPerPart()).toBe(MAX_DEVICES_PER_LIST);
  });

  it('stores a list that is too long for a payload or would take more requests than a job sends', () => {
    expect(needsStoredList(INLINE_DEVICES_MAX)).toBe(false);
    expect(needsStoredList(INLINE_DEVICES_MAX + 1)).toBe(true);
    expect(needsStoredList(MAX_REQUESTS_PER_JOB, 1)).toBe(false);
    expect(needsStoredList(MAX_REQUESTS_PER_JOB + 1, 1)).toBe(true);
    expect(needsStoredList(2 * MAX_REQUESTS_PER_JOB, 2)).toBe(false);
    // A bad size is for the job's rules to name, not a reason to store the list.
    expect(needsStoredList(5_000, 0)).toBe(false);
    expect(needsStoredList(5_000, 2.5)).toBe(false);
  });
});
