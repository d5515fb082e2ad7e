/**
 * A test's view of `devices/actions/list`: what every call asked for, and a hold that stops calls at an exact point
 * of a scan (after n calls) until released. A fault test can then kill a worker with a given number of pages
 * served, and count the pages a resumed scan asks for, without timing anything. Off unless a watch is started.
 */
import type { DeviceId } from '../thingspace/schemas/device-key.js';
import type { DevicesListRequest } from '../thingspace/schemas/index.js';

/** What one served list call asked for (the filters that tell one scan's pages from another's). */
export interface ListCallRecord {
  /** Its number among every list call the simulator served (`admin.listCalls()` once it was served). */
  call: number;
  deviceId?: DeviceId;
  /** `startswith` of the first identifier filter that has one. */
  startswith?: string;
  currentState?: string;
  /** The page's cursor: absent on a scan's first page. */
  largestDeviceIdSeen?: string;
}

export interface ListWatchOptions {
  /** Let this many calls through after the watch starts, then hold every further one until `release`. */
  holdAfter?: number;
}

export interface ListWatchState {
  active: boolean;
  holdAfter: number | null;
  /** Calls waiting at the hold now. */
  held: number;
  /** Calls served since the watch started, in the order they were served. */
  calls: ListCallRecord[];
}

export class ListWatch {
  private active = false;
  private holdAfter: number | null = null;
  private admitted = 0;
  private calls: ListCallRecord[] = [];
  private waiting: (() => void)[] = [];
  private holdingWaiters: (() => void)[] = [];

  /** Starts a fresh watch; calls held by a previous one go through. */
  start(options: ListWatchOptions = {}): void {
    this.release();
    this.active = true;
    this.holdAfter = options.holdAfter ?? null;
    this.admitted = 0;
    this.calls = [];
  }

  /** Releases held calls and forgets the watch. */
  stop(): void {
    this.release();
    this.active = false;
    this.calls = [];
  }

  /** Lets held calls through and holds no more (the record goes on). */
  release(): void {
    this.holdAfter = null;
    const waiting = this.waiting;
    this.waiting = [];
    for (const go of waiting) go();
  }

  /** Resolves once a call is being held. */
  holding(): Promise<void> {
    if (this.waiting.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.holdingWaiters.push(resolve));
  }

  state(): ListWatchState {
    return { active: this.active, holdAfter: this.holdAfter, held: this.waiting.length, calls: [...this.calls] };
  }

  /** Called by the list route before it serves a call: waits while the hold applies to it. */
  async admit(): Promise<void> {
    if (!this.active) return;
    if (this.holdAfter !== null && this.admitted >= this.holdAfter) {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        const waiters = this.holdingWaiters;
        this.holdingWaiters = [];
        for (const notify of waiters) notify();
      });
    }
    this.admitted++;
  }

  /** Called by the list route once it served a call. */
  served(call: number, request: DevicesListRequest): void {
    if (!this.active) return;
    const startswith = request.filter?.deviceIdentifierFilters.find((f) => f.startswith !== undefined)?.startswith;
    this.calls.push({
      call,
      ...(request.deviceId && { deviceId: request.deviceId }),
      ...(startswith !== undefined && { startswith }),
      ...(request.currentState !== undefined && { currentState: request.currentState }),
      ...(request.largestDeviceIdSeen !== undefined && { largestDeviceIdSeen: String(request.largestDeviceIdSeen) }),
    });
  }
}
