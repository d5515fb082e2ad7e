/** forEachBounded on its own: the bound, the order items start in, and what a failure stops. */
import { describe, expect, it } from '@jest/globals';
import { forEachBounded } from '../../src/activities/bounded.js';

/** A call that ends when the test says so, to hold several in flight at once. */
function controlled() {
  const started: number[] = [];
  const finish = new Map<number, () => void>();
  const fail = new Map<number, (error: Error) => void>();
  let inFlight = 0;
  let most = 0;
  const fn = (item: number) =>
    new Promise<void>((resolve, reject) => {
      started.push(item);
      most = Math.max(most, ++inFlight);
      finish.set(item, () => {
        inFlight--;
        resolve();
      });
      fail.set(item, (error) => {
        inFlight--;
        reject(error);
      });
    });
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return { fn, started, finish, fail, settle, most: () => most };
}

describe('forEachBounded', () => {
  it('runs every item, in order, never more than the bound at once', async () => {
    const c = controlled();
    const items = Array.from({ length: 10 }, (_, i) => i);
    const done = forEachBounded(items, 3, c.fn);
    for (let i = 0; i < 10; i++) {
      await c.settle();
      c.finish.get(i)?.();
    }
    await done;
    expect(c.started).toEqual(items);
    expect(c.most()).toBe(3);
  });

  it('starts nothing after a failure and throws it once the calls in flight are over', async () => {
    const c = controlled();
    let rejected: unknown;
    const done = forEachBounded([0, 1, 2, 3, 4, 5], 2, c.fn).catch((error: unknown) => (rejected = error));
    await c.settle();
    expect(c.started).toEqual([0, 1]);
    c.fail.get(0)?.(new Error('list call refused'));
    await c.settle();
    expect(c.started).toEqual([0, 1]);
    expect(rejected).toBeUndefined();
    c.finish.get(1)?.();
    await done;
    expect((rejected as Error).message).toBe('list call refused');
    expect(c.started).toEqual([0, 1]);
  });

  it('takes an empty list and a bound larger than the list', async () => {
    await expect(forEachBounded([], 4, () => Promise.reject(new Error('called')))).resolves.toBeUndefined();
    const seen: number[] = [];
    await forEachBounded([7, 8], 100, async (item) => {
      seen.push(item);
    });
    expect(seen).toEqual([7, 8]);
  });
});
