/**
 * Bearer token checks (the simulator's admin API, the codec server): right answers, and a time that does not depend
 * on how much of a guess is right. A plain string comparison stops at the first differing character, so a guess
 * with a long right prefix takes measurably longer than one wrong from its first character.
 */
import { describe, expect, it } from '@jest/globals';
import { bearerCheck, type BearerCheck } from '../../src/bearer-check.js';

/** Median time of `runs` calls, in nanoseconds. */
function medianNs(check: BearerCheck, header: string, runs = 41): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    check(header);
    times.push(Number(process.hrtime.bigint() - start));
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

describe('bearerCheck', () => {
  it('accepts exactly `Bearer <token>`', () => {
    const check = bearerCheck('s3cret-admin');
    expect(check('Bearer s3cret-admin')).toBe(true);
    for (const wrong of [undefined, '', 'Bearer ', 'Bearer s3cret', 'Bearer s3cret-admin2', 'bearer s3cret-admin']) {
      expect({ wrong, ok: check(wrong) }).toEqual({ wrong, ok: false });
    }
  });

  it('takes as long for a guess with the right 1 MB prefix as for one wrong from the first character', () => {
    const token = 'x'.repeat(1024 * 1024);
    const check = bearerCheck(token);
    const nearlyRight = `Bearer ${token.slice(0, -1)}y`;
    const wrongAtOnce = `Bearer y${token.slice(1)}`;
    // Control: the naive comparison this replaced is not constant time on these inputs.
    const expected = `Bearer ${token}`;
    const naive: BearerCheck = (header) => header === expected;
    naive(expected);
    const naiveRatio = medianNs(naive, nearlyRight) / medianNs(naive, wrongAtOnce);
    const ratio = medianNs(check, nearlyRight) / medianNs(check, wrongAtOnce);
    console.info(
      `bearerCheck time ratio (right prefix / wrong at once): ${ratio.toFixed(2)}; naive: ${naiveRatio.toFixed(1)}`,
    );
    expect(naiveRatio).toBeGreaterThan(5);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
