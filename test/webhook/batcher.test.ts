import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { CallbackRecord } from '../../src/activation/model.js';
import { DeliveryError, SignalBatcher } from '../../src/webhook/batcher.js';
import { DEFAULT_BATCH_SETTINGS, type BatchSettings } from '../../src/webhook/config.js';
import { createMetrics } from '../../src/webhook/metrics.js';
import type { SendResult, SignalTarget } from '../../src/webhook/temporal-target.js';

const record = (n: number): CallbackRecord => ({
  service: 'CarrierService',
  deviceIds: [{ kind: 'IMEI', id: String(n) }],
  success: true,
  status: 'Success',
  assignedIds: [],
});

interface Call {
  requestId: string;
  ids: string[];
  at: number;
}

/** A Temporal stand-in whose answer per call is scripted, recording what it was sent and when (on the fake clock). */
function fakeTarget(
  answer: (call: Call, n: number) => SendResult | Error | Promise<SendResult | Error> = () => 'signalled',
) {
  const calls: Call[] = [];
  const target: SignalTarget = {
    async send(requestId, records) {
      const call = { requestId, ids: records.map((r) => r.deviceIds[0]!.id), at: Date.now() };
      calls.push(call);
      const result = await answer(call, calls.length);
      if (result instanceof Error) throw result;
      return result;
    },
    async ready() {},
  };
  return { target, calls };
}

const quiet = { info() {}, warn() {} };

function batcher(target: SignalTarget, settings: Partial<BatchSettings> = {}) {
  return new SignalBatcher(
    target,
    // The quiet trigger is off unless a test turns it on, so window timings are exact.
    { ...DEFAULT_BATCH_SETTINGS, batchWindowMs: 50, batchQuietMin: 10_000, notFoundRetryMs: 1_000, ...settings },
    createMetrics({ defaultMetrics: false }),
    quiet,
    // jest's fake clock, the one its fake setTimeout runs on.
    () => Date.now(),
  );
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    (value) => value,
    (err: unknown) => (err instanceof DeliveryError ? err.reason : err),
  );

/** Records when (on the fake clock) a promise settled, and with what, so a test can look without awaiting it. */
function watch(p: Promise<unknown>) {
  const state: { settled: boolean; value?: unknown; at?: number } = { settled: false };
  void outcome(p).then((value) => Object.assign(state, { settled: true, value, at: Date.now() }));
  return state;
}

/** Moves the fake clock, running the timers due and the promise callbacks they unblock. */
const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

// Every timing below is exact: time only moves when a test advances it.
beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'], now: 1_000_000 });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('SignalBatcher', () => {
  it('gathers one request’s callbacks for the window into one signal, and keeps requests apart', async () => {
    const { target, calls } = fakeTarget();
    const b = batcher(target, { batchWindowMs: 80 });
    const started = Date.now();
    const results = [b.submit('r1', record(1), 100), b.submit('r2', record(2), 100), b.submit('r1', record(3), 100)];
    await advance(79);
    expect(calls).toEqual([]);
    await advance(1);
    expect(calls.map((c) => [c.requestId, c.ids, c.at - started])).toEqual([
      ['r1', ['1', '3'], 80],
      ['r2', ['2'], 80],
    ]);
    expect(await Promise.all(results)).toEqual(['signalled', 'signalled', 'signalled']);
  });

  it('sends at once when a batch is full by count or by bytes; what does not fit waits for its window', async () => {
    const { target, calls } = fakeTarget();
    const b = batcher(target, { batchWindowMs: 300, batchMax: 3, batchMaxBytes: 1_000 });
    const started = Date.now();
    const small = [1, 2, 3].map((n) => b.submit('r', record(n), 10));
    const big = [4, 5].map((n) => b.submit('big', record(n), 600));
    await advance(299);
    expect(calls.map((c) => [c.ids, c.at - started])).toEqual([
      [['1', '2', '3'], 0],
      [['4'], 0],
    ]);
    await advance(1);
    expect(calls.map((c) => [c.ids, c.at - started])).toEqual([
      [['1', '2', '3'], 0],
      [['4'], 0],
      [['5'], 300],
    ]);
    await Promise.all([...small, ...big]);
  });

  it('sends a burst that has stopped growing before the window ends, but lets a small batch wait it out', async () => {
    const { target, calls } = fakeTarget();
    const b = batcher(target, { batchWindowMs: 1_000, batchQuietMs: 20, batchQuietMin: 3 });
    const started = Date.now();
    const burst = watch(Promise.all([1, 2, 3, 4].map((n) => b.submit('burst', record(n), 10))));
    const small = watch(Promise.all([5, 6].map((n) => b.submit('small', record(n), 10))));
    await advance(1_000);
    expect(burst.at! - started).toBe(20);
    expect(small.at! - started).toBe(1_000);
    expect(calls.map((c) => c.ids)).toEqual([
      ['1', '2', '3', '4'],
      ['5', '6'],
    ]);
  });

  it('does not send a big batch while callbacks keep arriving', async () => {
    const { target, calls } = fakeTarget();
    const b = batcher(target, { batchWindowMs: 400, batchQuietMs: 40, batchQuietMin: 1 });
    const started = Date.now();
    const answers: Promise<unknown>[] = [];
    for (let n = 0; n < 8; n++) {
      answers.push(b.submit('r', record(n), 10));
      await advance(15);
    }
    // The last callback came at 105 ms: the batch leaves 40 ms of quiet later.
    await advance(144 - 120);
    expect(calls).toEqual([]);
    await advance(1);
    expect(calls.map((c) => [c.ids.length, c.at - started])).toEqual([[8, 145]]);
    await Promise.all(answers);
  });

  it('keeps one signal in flight per request; what arrives meanwhile rides the next one', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { target, calls } = fakeTarget(async (_call, n): Promise<SendResult> => {
      if (n === 1) await gate;
      return 'signalled';
    });
    const b = batcher(target, { batchWindowMs: 0 });
    const first = b.submit('r', record(1), 10);
    await advance(20);
    const later = [2, 3, 4].map((n) => b.submit('r', record(n), 10));
    await advance(20);
    expect(calls).toHaveLength(1);
    release();
    await Promise.all([first, ...later]);
    expect(calls.map((c) => c.ids)).toEqual([['1'], ['2', '3', '4']]);
  });

  it('retries while the workflow does not exist yet and delivers once it does', async () => {
    const { target, calls } = fakeTarget((_call, n) => (n < 3 ? 'not_found' : 'signalled'));
    const b = batcher(target, { batchWindowMs: 0, notFoundRetryMs: 5_000 });
    const delivery = watch(b.submit('r', record(1), 10));
    await advance(1_000);
    expect(delivery.value).toBe('signalled');
    // Backoff between attempts: 100 ms, then 200 ms.
    expect(calls.map((c) => c.at - calls[0]!.at)).toEqual([0, 100, 300]);
  });

  it('gives up with workflow_not_found after the bounded wait, per callback', async () => {
    const { target, calls } = fakeTarget(() => 'not_found');
    const b = batcher(target, { batchWindowMs: 0, notFoundRetryMs: 300 });
    const started = Date.now();
    const early = watch(b.submit('r', record(1), 10));
    await advance(150);
    const late = watch(b.submit('r', record(2), 10));
    await advance(1_000);
    expect(early).toMatchObject({ value: 'workflow_not_found', at: started + 300 });
    expect(late).toMatchObject({ value: 'workflow_not_found', at: started + 450 });
    // Attempts at 0 and 100 ms (backoff 100), 300 ms (backoff 200, the early one's deadline), 450 ms (the late one's).
    expect(calls.map((c) => [c.ids, c.at - started])).toEqual([
      [['1'], 0],
      [['1'], 100],
      [['1', '2'], 300],
      [['2'], 450],
    ]);
  });

  it('acknowledges callbacks of a closed workflow and fails fast when Temporal is unreachable', async () => {
    const { target } = fakeTarget((call) =>
      call.requestId === 'closed' ? 'workflow_closed' : new Error('UNAVAILABLE'),
    );
    const b = batcher(target, { batchWindowMs: 0 });
    expect(await outcome(b.submit('closed', record(1), 10))).toBe('workflow_closed');
    expect(await outcome(b.submit('down', record(2), 10))).toBe('temporal_unavailable');
  });

  it('close() sends waiting batches at once, refuses new callbacks and waits for answers', async () => {
    const { target, calls } = fakeTarget();
    const b = batcher(target, { batchWindowMs: 60_000 });
    const started = Date.now();
    const waiting = [1, 2].map((n) => b.submit('r', record(n), 10));
    expect(b.pending).toBe(2);
    await b.close();
    expect(await Promise.all(waiting)).toEqual(['signalled', 'signalled']);
    // No fake time passed: close() did not wait for the 60-second window.
    expect(calls.map((c) => [c.ids, c.at - started])).toEqual([[['1', '2'], 0]]);
    expect(await outcome(b.submit('r', record(3), 10))).toBe('shutting_down');
  });

  it('close() cuts a not-found wait short with 503, so ThingSpace resends to a live instance', async () => {
    const { target } = fakeTarget(() => 'not_found');
    const b = batcher(target, { batchWindowMs: 0, notFoundRetryMs: 60_000 });
    const pending = watch(b.submit('r', record(1), 10));
    await advance(50);
    const closing = Date.now();
    await b.close();
    await advance(0);
    expect(pending).toMatchObject({ value: 'workflow_not_found', at: closing });
  });
});
