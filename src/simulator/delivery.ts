import { Agent } from 'undici';
import type { SimContext } from './context.js';
import { DueQueue } from './due-queue.js';
import type { CallbackServiceName, RegistrationStore } from './registrations.js';

/** One callback message as ThingSpace sends it, minus the fields filled in per send. */
export interface CallbackMessage {
  service: CallbackServiceName;
  accountName: string;
  /** The internal id of the device whose record this callback updates. */
  internalId: number;
  requestId: string;
  /** The callback's `status` (`Success`, `Failed`, `ConfigCreated` …), recorded when the callback is queued. */
  status: string | null;
  /**
   * Everything after username/password and before callbackCount/maxCallbackThreshold, built when the callback is
   * sent: a million queued callbacks would otherwise hold a million payloads (about 1 KB each) until their turn.
   */
  payload(): Record<string, unknown>;
}

interface Job {
  message: CallbackMessage;
  attempt: number;
  /** The record of this device, service and requestId: every copy and send of the callback counts there. */
  record: CallbackRecord;
}

/**
 * One callback ThingSpace decided to send: a device, a service and a requestId. The simulator's own record for fault
 * tests ("every callback acknowledged is reflected in the report"), kept per request so that a second activation
 * of the same device does not overwrite the first one's callbacks.
 */
export interface CallbackRecord {
  service: CallbackServiceName;
  requestId: string;
  /** The callback's `status` (`Success`, `Failed`, `ConfigCreated`, `ConfigFailed` …). */
  status: string | null;
  /** Copies ThingSpace decided to send (2 when duplicated, 0 when dropped). */
  copies: number;
  /** Never sent: ThingSpace lost it. */
  dropped: boolean;
  /** HTTP sends of all copies, retries included. */
  sends: number;
  /** Copies the listener answered 2xx. */
  acknowledged: number;
  /** Copies given up after maxCallbackThreshold failed sends. */
  exhausted: number;
  /** Copies not sent because no listener was registered for the service when they were due. */
  unregistered: number;
  lastResult: string | null;
}

/**
 * What happened to the callbacks of one device and service, summed over every request that named the device (see
 * CallbackRecord for the per-request record): derived from the records, not kept beside them.
 */
export interface CallbackTruth {
  requestId: string;
  /** Copies ThingSpace decided to send (2 when duplicated). */
  copies: number;
  dropped: boolean;
  /** HTTP sends, retries included. */
  sends: number;
  acknowledged: boolean;
  /** All sends of a copy failed up to maxCallbackThreshold. */
  exhausted: boolean;
  /** No listener was registered for the service when the callback was due. */
  unregistered: boolean;
  lastResult: string | null;
  /** The callback's `status` as sent (`Success`, `Failed`, `ConfigCreated`, `ConfigFailed` …). */
  status: string | null;
}

export interface DeliveryStats {
  paused: boolean;
  queued: number;
  inFlight: number;
  waiting: number;
  sends: number;
  acknowledged: number;
  failedSends: number;
  exhausted: number;
  dropped: number;
  unregistered: number;
}

/**
 * Sends callbacks with bounded concurrency over keep-alive connections, retrying non-2xx answers and connection
 * errors up to maxCallbackThreshold with exponential backoff. Queued work lives in memory only, like a demo needs.
 */
export class CallbackDelivery {
  private readonly agent: Agent;
  private ready: Job[] = [];
  private head = 0;
  private inFlight = 0;
  /** Jobs waiting for their time (initial delay or retry backoff), all behind one timer. */
  private waiting = 0;
  private readonly later: DueQueue<Job[]>;
  /**
   * Per device (its internal id): one record per service and requestId, in the order they were first queued. A
   * million-device run keeps a million of these; a number key costs no string per device.
   */
  private readonly records = new Map<number, CallbackRecord[]>();
  private readonly idleWaiters: (() => void)[] = [];
  private paused = false;
  private closed = false;
  private readonly stats = { sends: 0, acknowledged: 0, failedSends: 0, exhausted: 0, dropped: 0, unregistered: 0 };

  constructor(
    private readonly ctx: SimContext,
    private readonly registrations: RegistrationStore,
  ) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: Math.max(1, ctx.config.callbackConcurrency),
      headersTimeout: ctx.config.callbackTimeoutMs,
      bodyTimeout: ctx.config.callbackTimeoutMs,
    });
    this.later = new DueQueue(ctx.scheduler, (batches) => {
      for (const jobs of batches) {
        this.waiting -= jobs.length;
        for (const job of jobs) this.ready.push(job);
      }
      this.pump();
    });
  }

  /** Queues the callbacks of one batch after `delayMs`, applying the configured drops and duplicates. */
  enqueue(messages: readonly { message: CallbackMessage; drop: boolean; duplicate: boolean }[], delayMs: number): void {
    const jobs: Job[] = [];
    for (const { message, drop, duplicate } of messages) {
      const record = this.recordOf(message);
      if (drop) {
        record.dropped = true;
        this.stats.dropped++;
        continue;
      }
      const copies = duplicate ? 2 : 1;
      record.copies += copies;
      for (let i = 0; i < copies; i++) jobs.push({ message, attempt: 0, record });
    }
    this.schedule(jobs, delayMs);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  getStats(): DeliveryStats {
    return {
      paused: this.paused,
      queued: this.ready.length - this.head,
      inFlight: this.inFlight,
      waiting: this.waiting,
      ...this.stats,
    };
  }

  truthFor(internalId: number, service: CallbackServiceName): CallbackTruth | undefined {
    const records = this.recordsFor(internalId).filter((r) => r.service === service);
    const last = records.at(-1);
    if (!last) return undefined;
    return {
      requestId: last.requestId,
      status: last.status,
      copies: records.reduce((sum, r) => sum + r.copies, 0),
      dropped: records.some((r) => r.dropped),
      sends: records.reduce((sum, r) => sum + r.sends, 0),
      acknowledged: records.some((r) => r.acknowledged > 0),
      exhausted: records.some((r) => r.exhausted > 0),
      unregistered: records.some((r) => r.unregistered > 0),
      lastResult: records.findLast((r) => r.lastResult !== null)?.lastResult ?? null,
    };
  }

  /** Every callback of the device, one record per service and requestId. */
  recordsFor(internalId: number): readonly CallbackRecord[] {
    return this.records.get(internalId) ?? [];
  }

  /** Resolves when nothing is queued, in flight or waiting for a timer (a paused queue is not idle). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.later.clear();
    this.ready = [];
    this.head = 0;
    this.waiting = 0;
    // destroy, not close: close would wait for sends to a listener that may never answer.
    await this.agent.destroy();
    this.notifyIdle();
  }

  private recordOf(message: CallbackMessage): CallbackRecord {
    const list = this.records.get(message.internalId);
    let record = list?.find((r) => r.service === message.service && r.requestId === message.requestId);
    if (!record) {
      record = {
        service: message.service,
        requestId: message.requestId,
        status: message.status,
        copies: 0,
        dropped: false,
        sends: 0,
        acknowledged: 0,
        exhausted: 0,
        unregistered: 0,
        lastResult: null,
      };
      // A list of exact length: push onto an empty array reserves 17 slots, 150 bytes a device at a million.
      this.records.set(message.internalId, list ? list.concat(record) : [record]);
    }
    return record;
  }

  private schedule(jobs: Job[], delayMs: number): void {
    if (jobs.length === 0 || this.closed) return;
    if (delayMs <= 0) {
      for (const job of jobs) this.ready.push(job);
      this.pump();
      return;
    }
    this.waiting += jobs.length;
    this.later.add(delayMs, jobs);
  }

  private pump(): void {
    const limit = Math.max(1, this.ctx.config.callbackConcurrency);
    while (!this.paused && !this.closed && this.inFlight < limit && this.head < this.ready.length) {
      const job = this.ready[this.head++] as Job;
      this.inFlight++;
      const work = this.send(job).finally(() => {
        this.inFlight--;
        this.pump();
        this.notifyIdle();
      });
      // A virtual clock waits for this send (and the sends it makes room for) before firing the next timer.
      this.ctx.scheduler.track?.(work);
    }
    // Drop the consumed prefix now and then instead of shifting the array on every send.
    if (this.head > 4096 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    this.notifyIdle();
  }

  private async send(job: Job): Promise<void> {
    const { message } = job;
    const registration = this.registrations.get(message.accountName, message.service);
    if (!registration) {
      job.record.unregistered++;
      this.stats.unregistered++;
      return;
    }
    job.attempt++;
    job.record.sends++;
    this.stats.sends++;
    const { maxCallbackThreshold } = this.ctx.config;
    const body = JSON.stringify({
      username: registration.username,
      password: registration.password,
      ...message.payload(),
      callbackCount: job.attempt,
      maxCallbackThreshold,
    });
    let result: string;
    let ok = false;
    try {
      const response = await this.agent.request({
        origin: registration.origin,
        path: registration.path,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await response.body.dump();
      ok = response.statusCode >= 200 && response.statusCode < 300;
      result = String(response.statusCode);
    } catch (err) {
      result = (err as { code?: string }).code ?? (err as Error).name;
    }
    if (this.closed) return;
    job.record.lastResult = result;
    if (ok) {
      job.record.acknowledged++;
      this.stats.acknowledged++;
      return;
    }
    this.stats.failedSends++;
    if (job.attempt < maxCallbackThreshold) {
      this.schedule([job], this.ctx.config.callbackRetryBackoffMs * 2 ** (job.attempt - 1));
    } else {
      job.record.exhausted++;
      this.stats.exhausted++;
      this.ctx.log.warn({ service: message.service, requestId: message.requestId, result }, 'callback given up');
    }
  }

  private isIdle(): boolean {
    return this.closed || (this.inFlight === 0 && this.waiting === 0 && this.head >= this.ready.length);
  }

  private notifyIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
