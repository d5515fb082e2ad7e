import { performance } from 'node:perf_hooks';
import { MinHeap } from './heap.js';

/** Opaque handle of a scheduled timer. */
export interface SimTimer {
  readonly __simTimer?: never;
}

/**
 * Every delay of the simulator (activation completion, callback delay, callback retry backoff) goes through one
 * scheduler, so that tests can replace real time with virtual time. Only delays are virtual: timestamps the
 * simulator reports (history `occurredAt`, `createdAt`) stay on the real clock, because callers query history up to
 * "now" and a future timestamp would hide an entry.
 */
export interface SimScheduler {
  /** Monotonic milliseconds used to compute due times; not a wall clock. */
  now(): number;
  setTimeout(fn: () => void, ms: number): SimTimer;
  clearTimeout(timer: SimTimer): void;
  /**
   * Asynchronous work started by a timer (a callback send), so that a virtual clock can wait for it before firing
   * the next timer. Real timers ignore it.
   */
  track?(work: Promise<unknown>): void;
}

/** Node's timers: the default, so `npm run simulator` and the demo run in real time. */
export const realScheduler: SimScheduler = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms) as SimTimer,
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

interface ManualTimer extends SimTimer {
  due: number;
  seq: number;
  fn: () => void;
  /** Fired or cleared: no longer pending. */
  done: boolean;
}

/**
 * Virtual time for tests: nothing fires until `advance` is called, which fires every timer due within the interval
 * in due order (ties in the order they were set) and, after each firing, waits for the callback sends it started,
 * so a test sees the listener's answers before the next timer fires. Timers set while advancing fire in the same
 * call when they fall due within the interval.
 */
export class ManualScheduler implements SimScheduler {
  private time = 0;
  private seq = 0;
  private live = 0;
  private readonly heap = new MinHeap<ManualTimer>((a, b) => a.due < b.due || (a.due === b.due && a.seq < b.seq));
  private readonly work = new Set<Promise<unknown>>();
  private chain: Promise<void> = Promise.resolve();
  private readonly pendingWaiters: (() => void)[] = [];

  /** Virtual milliseconds elapsed since the scheduler was created. */
  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): SimTimer {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: ManualTimer = { due: this.time + delay, seq: this.seq++, fn, done: false };
    this.heap.push(timer);
    this.live++;
    for (const resolve of this.pendingWaiters.splice(0)) resolve();
    return timer;
  }

  clearTimeout(handle: SimTimer): void {
    const timer = handle as ManualTimer;
    // Lazy deletion: the heap skips cleared timers when they reach the top.
    if (timer.done) return;
    timer.done = true;
    this.live--;
  }

  track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.work.add(settled);
    void settled.then(() => this.work.delete(settled));
  }

  /** Timers set and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.live;
  }

  /** Virtual milliseconds until the next timer is due, or undefined when none is pending. */
  nextDueIn(): number | undefined {
    const next = this.peek();
    return next === undefined ? undefined : Math.max(0, next.due - this.time);
  }

  /** Resolves when at least one timer is pending (at once if one already is): "the simulator has scheduled work". */
  untilPending(): Promise<void> {
    if (this.live > 0) return Promise.resolve();
    return new Promise((resolve) => this.pendingWaiters.push(resolve));
  }

  /** Resolves when no callback send started by a timer is still in flight. */
  async whenIdle(): Promise<void> {
    while (this.work.size > 0) await Promise.all([...this.work]);
  }

  /** Moves virtual time forward by `ms`, firing every timer due on the way. Calls queue behind each other. */
  advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) {
      return Promise.reject(new RangeError(`advance(ms): ms must be a finite number >= 0, got ${ms}`));
    }
    const run = this.chain.then(() => this.run(ms));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Advances until no timer is pending (callback retries included), at most `maxMs` of virtual time; returns the
   * virtual milliseconds it advanced.
   */
  async runAll(maxMs = 7 * 24 * 3600_000): Promise<number> {
    const start = this.time;
    for (let next = this.nextDueIn(); next !== undefined; next = this.nextDueIn()) {
      if (this.time - start + next > maxMs) break;
      await this.advance(next);
    }
    await this.whenIdle();
    return this.time - start;
  }

  private async run(ms: number): Promise<void> {
    const target = this.time + ms;
    await this.whenIdle();
    for (let next = this.peek(); next !== undefined && next.due <= target; next = this.peek()) {
      this.heap.pop();
      this.live--;
      next.done = true;
      this.time = Math.max(this.time, next.due);
      next.fn();
      await this.whenIdle();
    }
    this.time = target;
  }

  private peek(): ManualTimer | undefined {
    let top = this.heap.peek();
    while (top?.done) {
      this.heap.pop();
      top = this.heap.peek();
    }
    return top;
  }
}
