import { describe, expect, it } from '@jest/globals';
import { DueQueue } from '../../src/simulator/due-queue.js';
import { ManualScheduler } from '../../src/simulator/index.js';

describe('ManualScheduler', () => {
  it('fires only on advance, in due order, ties in the order they were set', async () => {
    const clock = new ManualScheduler();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('c@30'), 30);
    clock.setTimeout(() => fired.push('a@10'), 10);
    clock.setTimeout(() => fired.push('b@10'), 10);
    const cleared = clock.setTimeout(() => fired.push('cleared'), 5);
    clock.clearTimeout(cleared);
    clock.clearTimeout(cleared);
    expect(clock.pendingTimers).toBe(3);
    expect(clock.nextDueIn()).toBe(10);

    await clock.advance(9);
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(9);
    await clock.advance(1);
    expect(fired).toEqual(['a@10', 'b@10']);
    expect(clock.nextDueIn()).toBe(20);
    await clock.advance(100);
    expect(fired).toEqual(['a@10', 'b@10', 'c@30']);
    expect(clock.pendingTimers).toBe(0);
    expect(clock.nextDueIn()).toBeUndefined();
    expect(clock.now()).toBe(110);
  });

  it('fires timers set while advancing when they fall due within the interval, at their own time', async () => {
    const clock = new ManualScheduler();
    const seen: number[] = [];
    const chain = (n: number) => {
      seen.push(clock.now());
      if (n > 0) clock.setTimeout(() => chain(n - 1), 100);
    };
    clock.setTimeout(() => chain(5), 100);
    await clock.advance(350);
    expect(seen).toEqual([100, 200, 300]);
    expect(clock.pendingTimers).toBe(1);
    expect(await clock.runAll()).toBe(250);
    expect(seen).toEqual([100, 200, 300, 400, 500, 600]);
  });

  it('waits for tracked work a firing started before firing the next timer', async () => {
    const clock = new ManualScheduler();
    const order: string[] = [];
    clock.setTimeout(() => {
      order.push('first fired');
      clock.track(
        (async () => {
          await new Promise((resolve) => setImmediate(resolve));
          order.push('first work done');
        })(),
      );
    }, 1);
    clock.setTimeout(() => order.push('second fired'), 2);
    await clock.advance(2);
    expect(order).toEqual(['first fired', 'first work done', 'second fired']);
  });

  it('refuses a negative or infinite advance and resolves untilPending when a timer is set', async () => {
    const clock = new ManualScheduler();
    await expect(clock.advance(-1)).rejects.toThrow(/ms must be a finite number >= 0, got -1/);
    await expect(clock.advance(Infinity)).rejects.toThrow(/got Infinity/);
    let pending = false;
    const waiting = clock.untilPending().then(() => (pending = true));
    await Promise.resolve();
    expect(pending).toBe(false);
    clock.setTimeout(() => undefined, 1);
    await waiting;
    expect(pending).toBe(true);
  });
});

describe('DueQueue', () => {
  it('serves 10,000 items due at 10,000 different times with one timer, earliest first', async () => {
    const clock = new ManualScheduler();
    const served: number[] = [];
    const queue = new DueQueue<number>(clock, (items) => {
      for (const due of items) {
        expect(clock.now()).toBe(due);
        served.push(due);
      }
    });
    const dues = Array.from({ length: 10_000 }, (_, i) => 1_800_000 + ((i * 7919) % 10_000) * 1_980);
    for (const due of dues) queue.add(due, due);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(1_800_000 - 1);
    expect(served).toEqual([]);
    await clock.advance(6 * 3600_000);
    expect(served).toEqual([...dues].sort((a, b) => a - b));
    expect(queue.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('clears its timer', () => {
    const clock = new ManualScheduler();
    const queue = new DueQueue<string>(clock, () => undefined);
    queue.add(10, 'a');
    queue.add(5, 'b');
    expect(clock.pendingTimers).toBe(1);
    queue.clear();
    expect(clock.pendingTimers).toBe(0);
    expect(queue.size).toBe(0);
  });
});
