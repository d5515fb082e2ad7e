/**
 * Gathers the callbacks of one ThingSpace request into few signals. A batch leaves when it is full (count or
 * bytes) or when its oldest callback has waited the window; each lane (request) has at most one signal in flight,
 * so whatever arrives meanwhile rides the next one. Every submit resolves only once Temporal accepted the signal
 * carrying it (to its request workflow or to an inbox), which is what lets the HTTP layer answer 2xx safely.
 */
import type { CallbackRecord } from '../activation/model.js';
import type { BatchSettings } from './config.js';
import type { WebhookMetrics } from './metrics.js';
import type { SendResult, SignalTarget } from './temporal-target.js';

export type Delivery = 'signalled' | 'inboxed' | 'workflow_closed';

export type DeliveryFailure = 'workflow_not_found' | 'temporal_unavailable' | 'shutting_down';

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    readonly reason: DeliveryFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface BatcherLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

interface Item {
  record: CallbackRecord;
  bytes: number;
  arrivedAt: number;
  /** Until when a missing workflow is waited for; after that ThingSpace must resend. */
  notFoundDeadline: number;
  resolve(delivery: Delivery): void;
  reject(error: DeliveryError): void;
}

interface Lane {
  requestId: string;
  items: Item[];
  bytes: number;
  state: 'idle' | 'window' | 'sending' | 'backoff';
  timer: NodeJS.Timeout | undefined;
  timerAt: number;
  lastArrival: number;
  backoffMs: number;
}

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 1_000;

export class SignalBatcher {
  private readonly lanes = new Map<string, Lane>();
  private inFlight = 0;
  private closing = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly target: SignalTarget,
    private readonly settings: BatchSettings,
    private readonly metrics: WebhookMetrics,
    private readonly log: BatcherLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Callbacks waiting for or riding a signal. */
  get pending(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.items.length;
    return n + this.inFlight;
  }

  /** `bytes` approximates the record's share of the signal payload (the request body's size is a fine bound). */
  submit(requestId: string, record: CallbackRecord, bytes: number): Promise<Delivery> {
    if (this.closing) return Promise.reject(new DeliveryError('shutting_down', 'the webhook is shutting down'));
    return new Promise<Delivery>((resolve, reject) => {
      let lane = this.lanes.get(requestId);
      if (!lane) {
        lane = {
          requestId,
          items: [],
          bytes: 0,
          state: 'idle',
          timer: undefined,
          timerAt: 0,
          lastArrival: 0,
          backoffMs: FIRST_BACKOFF_MS,
        };
        this.lanes.set(requestId, lane);
      }
      const now = this.now();
      lane.lastArrival = now;
      lane.items.push({
        record,
        bytes,
        arrivedAt: now,
        notFoundDeadline: now + this.settings.notFoundRetryMs,
        resolve,
        reject,
      });
      lane.bytes += bytes;
      this.schedule(lane);
    });
  }

  /** Stops taking callbacks, sends every waiting batch at once and resolves when all have been answered. */
  async close(): Promise<void> {
    this.closing = true;
    for (const lane of this.lanes.values()) {
      if (lane.state === 'window' || lane.state === 'backoff') {
        clearTimeout(lane.timer);
        lane.state = 'idle';
        this.schedule(lane);
      }
    }
    if (this.lanes.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(lane: Lane): void {
    if (lane.state === 'sending' || lane.state === 'backoff') return;
    if (lane.items.length === 0) {
      this.lanes.delete(lane.requestId);
      if (this.lanes.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      return;
    }
    const { batchWindowMs, batchMax, batchMaxBytes, batchQuietMs, batchQuietMin } = this.settings;
    const now = this.now();
    let wait = (lane.items[0] as Item).arrivedAt + batchWindowMs - now;
    // Senders wait for their answer, so a burst stops growing once every sender is waiting: a batch already big
    // enough to keep the signal count low leaves then, instead of idling out the rest of the window.
    if (lane.items.length >= batchQuietMin) wait = Math.min(wait, lane.lastArrival + batchQuietMs - now);
    if (this.closing || wait <= 0 || lane.items.length >= batchMax || lane.bytes >= batchMaxBytes) {
      if (lane.state === 'window') clearTimeout(lane.timer);
      void this.send(lane);
      return;
    }
    const at = now + wait;
    if (lane.state === 'window') {
      if (lane.timerAt <= at) return;
      clearTimeout(lane.timer);
    }
    lane.state = 'window';
    lane.timerAt = at;
    lane.timer = setTimeout(() => {
      lane.state = 'idle';
      this.schedule(lane);
    }, wait);
  }

  private take(lane: Lane): Item[] {
    const { batchMax, batchMaxBytes } = this.settings;
    let count = 0;
    let bytes = 0;
    // The first item always goes, even alone over the byte cap: the body limit already bounds it.
    while (count < lane.items.length && count < batchMax) {
      const next = (lane.items[count] as Item).bytes;
      if (count > 0 && bytes + next > batchMaxBytes) break;
      bytes += next;
      count++;
    }
    lane.bytes -= bytes;
    return lane.items.splice(0, count);
  }

  private async send(lane: Lane): Promise<void> {
    lane.state = 'sending';
    lane.timer = undefined;
    const batch = this.take(lane);
    this.inFlight += batch.length;
    this.metrics.batchSize.observe(batch.length);
    const stop = this.metrics.signalSeconds.startTimer();
    let result: SendResult | Error;
    try {
      result = await this.target.send(
        lane.requestId,
        batch.map((item) => item.record),
      );
    } catch (err) {
      result = err instanceof Error ? err : new Error(String(err));
    }
    this.inFlight -= batch.length;
    stop({ result: result instanceof Error ? 'error' : result });

    if (result === 'signalled' || result === 'inboxed' || result === 'workflow_closed') {
      lane.backoffMs = FIRST_BACKOFF_MS;
      if (result === 'workflow_closed') {
        this.log.info(
          { requestId: lane.requestId, callbacks: batch.length },
          'callbacks for a request workflow that has already closed: acknowledged, kept in its inbox',
        );
      }
      for (const item of batch) item.resolve(result);
    } else if (result === 'not_found') {
      this.retryLater(lane, batch);
      return;
    } else {
      this.log.warn(
        {
          requestId: lane.requestId,
          callbacks: batch.length,
          err: result.message,
          // The SDK wraps the gRPC status (UNAVAILABLE, DEADLINE_EXCEEDED …), which is what an operator needs.
          cause: result.cause instanceof Error ? result.cause.message : undefined,
        },
        'signal failed: answering 503 so ThingSpace resends',
      );
      const error = new DeliveryError('temporal_unavailable', 'Temporal did not accept the signal');
      for (const item of batch) item.reject(error);
    }
    lane.state = 'idle';
    this.schedule(lane);
  }

  /** The workflow does not exist (yet): keep what may still wait at the head of the lane, give up on the rest. */
  private retryLater(lane: Lane, batch: Item[]): void {
    const now = this.now();
    const keep: Item[] = [];
    const giveUp: Item[] = [];
    for (const item of batch) (this.closing || now >= item.notFoundDeadline ? giveUp : keep).push(item);
    if (giveUp.length > 0) {
      this.log.warn(
        { requestId: lane.requestId, callbacks: giveUp.length },
        'request workflow not found within the wait: answering 503 so ThingSpace resends',
      );
      const error = new DeliveryError('workflow_not_found', 'no request workflow for this requestId (yet)');
      for (const item of giveUp) item.reject(error);
    }
    lane.items.unshift(...keep);
    for (const item of keep) lane.bytes += item.bytes;
    if (lane.items.length === 0 || this.closing) {
      lane.state = 'idle';
      this.schedule(lane);
      return;
    }
    let nearest = Infinity;
    for (const item of lane.items) nearest = Math.min(nearest, item.notFoundDeadline);
    const delay = Math.max(0, Math.min(lane.backoffMs, nearest - now));
    lane.backoffMs = Math.min(lane.backoffMs * 2, MAX_BACKOFF_MS);
    lane.state = 'backoff';
    lane.timer = setTimeout(() => {
      lane.state = 'idle';
      this.schedule(lane);
    }, delay);
  }
}
