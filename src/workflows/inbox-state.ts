/**
 * What a callback inbox holds: callbacks for a `requestId` that no request workflow has (yet). Pure, so the inbox
 * workflow stays a thin shell around it.
 */
import type { CallbackRecord } from '../activation/model.js';
import type { DeviceId } from '../thingspace/schemas/device-key.js';
import { deviceKey } from '../thingspace/schemas/device-key.js';

/** Records per forwarding signal: a few hundred keep each signal far below Temporal's payload limits. */
export const FORWARD_BATCH = 500;

export interface InboxSnapshot {
  held: CallbackRecord[];
  claimedBy?: string;
  received: number;
  forwarded: number;
  firstAt: number;
}

export class InboxState {
  held: CallbackRecord[];
  claimedBy: string | undefined;
  received: number;
  forwarded: number;
  /** Taken for a signal whose answer has not come back yet: neither held nor forwarded. */
  inFlight = 0;
  readonly firstAt: number;
  /** One identifier list per device named, for matching against a job's devices. */
  private readonly named = new Map<string, DeviceId[]>();

  constructor(now: number, saved?: InboxSnapshot) {
    this.held = saved?.held ?? [];
    this.claimedBy = saved?.claimedBy;
    this.received = saved?.received ?? 0;
    this.forwarded = saved?.forwarded ?? 0;
    this.firstAt = saved?.firstAt ?? now;
    for (const record of this.held) this.remember(record);
  }

  receive(records: readonly CallbackRecord[]): void {
    this.received += records.length;
    for (const record of records) this.remember(record);
    this.held.push(...records);
  }

  /** Takes everything held, in signal-sized batches; each one then goes `delivered` or `putBack`. */
  takeBatches(): CallbackRecord[][] {
    const batches: CallbackRecord[][] = [];
    for (let i = 0; i < this.held.length; i += FORWARD_BATCH) batches.push(this.held.slice(i, i + FORWARD_BATCH));
    this.inFlight += this.held.length;
    this.held = [];
    return batches;
  }

  delivered(batch: readonly CallbackRecord[]): void {
    this.inFlight -= batch.length;
    this.forwarded += batch.length;
  }

  /** Puts back batches that could not be delivered, ahead of what arrived meanwhile, in their order. */
  putBack(batches: readonly (readonly CallbackRecord[])[]): void {
    const records = batches.flat();
    this.inFlight -= records.length;
    this.held.unshift(...records);
  }

  /** Callbacks not forwarded (yet), including those on their way. */
  get waiting(): number {
    return this.held.length + this.inFlight;
  }

  devices(): DeviceId[][] {
    return [...this.named.values()];
  }

  snapshot(): InboxSnapshot {
    return {
      held: this.held,
      ...(this.claimedBy !== undefined && { claimedBy: this.claimedBy }),
      received: this.received,
      forwarded: this.forwarded,
      firstAt: this.firstAt,
    };
  }

  private remember(record: CallbackRecord): void {
    const key = deviceKey(record.deviceIds);
    if (key !== undefined && !this.named.has(key)) this.named.set(key, record.deviceIds);
  }
}
