import { describe, expect, it } from '@jest/globals';
import {
  claimRequestProblem,
  DeviceClaims,
  MAX_KEYS_PER_UPDATE,
  releaseRequestProblem,
} from '../../src/workflows/device-claims.js';

const key = (n: number) => `imei:35000000${String(n).padStart(7, '0')}`;
const keys = (from: number, count: number) => Array.from({ length: count }, (_, i) => key(from + i));
const NOW = Date.parse('2026-12-02T06:00:00Z');
const HOUR = 3_600_000;

describe('DeviceClaims', () => {
  it('grants free keys and reports keys another job holds, by position', () => {
    const claims = new DeviceClaims();
    expect(claims.claim({ jobId: 'a', keys: keys(0, 3), until: NOW + HOUR }, NOW)).toEqual({ taken: [] });
    const result = claims.claim({ jobId: 'b', keys: [key(5), key(1), key(6), key(2)], until: NOW + HOUR }, NOW);
    expect(result.taken).toEqual([
      { position: 1, jobId: 'a' },
      { position: 3, jobId: 'a' },
    ]);
    expect(claims.summary(NOW)).toEqual({
      jobs: [
        { jobId: 'a', devices: 3, until: NOW + HOUR },
        { jobId: 'b', devices: 2, until: NOW + HOUR },
      ],
      total: 5,
    });
  });

  it('grants a job its own keys again (idempotent) and extends its claim, never shortens it', () => {
    const claims = new DeviceClaims();
    claims.claim({ jobId: 'a', keys: keys(0, 3), until: NOW + HOUR }, NOW);
    expect(claims.claim({ jobId: 'a', keys: keys(0, 4), until: NOW + 2 * HOUR }, NOW)).toEqual({ taken: [] });
    expect(claims.summary(NOW).jobs).toEqual([{ jobId: 'a', devices: 4, until: NOW + 2 * HOUR }]);
    claims.claim({ jobId: 'a', keys: [key(0)], until: NOW + HOUR }, NOW);
    expect(claims.summary(NOW).jobs).toEqual([{ jobId: 'a', devices: 4, until: NOW + 2 * HOUR }]);
    // The same key twice in one request is granted both times.
    expect(claims.claim({ jobId: 'a', keys: [key(9), key(9)], until: NOW + HOUR }, NOW)).toEqual({ taken: [] });
    expect(claims.total).toBe(5);
  });

  it('lets an expired claim go: its devices go to the next job that asks', () => {
    const claims = new DeviceClaims();
    claims.claim({ jobId: 'a', keys: keys(0, 3), until: NOW + HOUR }, NOW);
    const justBefore = NOW + HOUR - 1;
    expect(claims.claim({ jobId: 'b', keys: keys(0, 3), until: NOW + 5 * HOUR }, justBefore).taken).toHaveLength(3);
    // At `until` the claim has lapsed (until is exclusive).
    expect(claims.summary(NOW + HOUR)).toEqual({ jobs: [], total: 0 });
    expect(claims.claim({ jobId: 'b', keys: keys(0, 3), until: NOW + 5 * HOUR }, NOW + HOUR)).toEqual({ taken: [] });
    expect(claims.summary(NOW + HOUR).jobs).toEqual([{ jobId: 'b', devices: 3, until: NOW + 5 * HOUR }]);
    expect(claims.prune(NOW + 5 * HOUR)).toBe(3);
    expect(claims.total).toBe(0);
  });

  it('releases some keys, then all the rest, and only the releasing job’s own', () => {
    const claims = new DeviceClaims();
    claims.claim({ jobId: 'a', keys: keys(0, 4), until: NOW + HOUR }, NOW);
    claims.claim({ jobId: 'b', keys: keys(10, 2), until: NOW + HOUR }, NOW);
    expect(claims.release({ jobId: 'a', keys: [key(0), key(1), key(10), key(99)] }, NOW)).toEqual({ released: 2 });
    expect(claims.claim({ jobId: 'b', keys: keys(0, 4), until: NOW + HOUR }, NOW).taken).toEqual([
      { position: 2, jobId: 'a' },
      { position: 3, jobId: 'a' },
    ]);
    expect(claims.release({ jobId: 'a' }, NOW)).toEqual({ released: 2 });
    expect(claims.release({ jobId: 'a' }, NOW)).toEqual({ released: 0 });
    expect(claims.summary(NOW)).toEqual({ jobs: [{ jobId: 'b', devices: 4, until: NOW + HOUR }], total: 4 });
  });

  it('carries every live claim through a snapshot (continue-as-new) unchanged', () => {
    const claims = new DeviceClaims();
    claims.claim({ jobId: 'a', keys: keys(0, 1_000), until: NOW + HOUR }, NOW);
    claims.claim({ jobId: 'b', keys: keys(500, 1_000), until: NOW + 2 * HOUR }, NOW);
    claims.release({ jobId: 'a', keys: keys(0, 10) }, NOW);
    const snapshot = claims.snapshot();
    // Compact: one entry per job with its keys once, and it survives JSON (what the payload converter does).
    expect(snapshot.jobs.map((j) => [j.jobId, j.keys.length, j.until])).toEqual([
      ['a', 990, NOW + HOUR],
      ['b', 500, NOW + 2 * HOUR],
    ]);
    const restored = new DeviceClaims(JSON.parse(JSON.stringify(snapshot)));
    expect(restored.snapshot()).toEqual(snapshot);
    expect(restored.summary(NOW)).toEqual(claims.summary(NOW));
    expect(
      restored.claim({ jobId: 'c', keys: [key(5), key(10), key(1_499), key(1_500)], until: NOW + HOUR }, NOW),
    ).toEqual({
      taken: [
        { position: 1, jobId: 'a' },
        { position: 2, jobId: 'b' },
      ],
    });
  });

  it('names the field and the rule a bad request breaks', () => {
    const ok = { jobId: 'a', keys: [key(1)], until: NOW + 1 };
    expect(claimRequestProblem(ok, NOW)).toBeUndefined();
    expect(claimRequestProblem({ ...ok, jobId: ' ' }, NOW)).toBe('jobId must be a non-empty string');
    expect(claimRequestProblem({ ...ok, keys: 'imei:1' }, NOW)).toBe('keys must be an array of device keys');
    expect(claimRequestProblem({ ...ok, keys: [key(1), ''] }, NOW)).toBe('keys[1] must be a non-empty string');
    expect(claimRequestProblem({ ...ok, keys: keys(0, MAX_KEYS_PER_UPDATE + 1) }, NOW)).toBe(
      'keys must hold at most 5000 entries per update',
    );
    expect(claimRequestProblem({ ...ok, until: Number.NaN }, NOW)).toMatch(/^until must be a finite number/);
    expect(claimRequestProblem({ ...ok, until: NOW }, NOW)).toMatch(/^until must be later than/);
    expect(releaseRequestProblem({ jobId: 'a' })).toBeUndefined();
    expect(releaseRequestProblem({ jobId: 'a', keys: null })).toBe('keys must be an array of device keys');
    expect(releaseRequestProblem(null)).toBe('the request must be an object');
  });
});
