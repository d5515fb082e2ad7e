import { mergeConfig, type ConfigPatch, type SimulatorConfig } from './config.js';
import type { SimCore } from './core.js';
import type { CallbackRecord, CallbackTruth, DeliveryStats } from './delivery.js';
import type { ScheduledFault } from './faults.js';
import type { ListWatchOptions, ListWatchState } from './list-watch.js';
import type { CallbackServiceName } from './registrations.js';
import { ManualScheduler } from './scheduler.js';
import { submittedIdsOf } from './activation.js';
import { normalizeState, type DeviceOutcome, type SeedDevice, type SeedUser, type SimDevice } from './model.js';
import type { DeviceId } from '../thingspace/schemas/device-key.js';

/** What both views of one device (DeviceTruth, DeviceRecord) say about it. */
interface DeviceFacts {
  deviceIds: DeviceId[];
  accountName: string;
  type: SimDevice['type'];
  /** The real state (never the pending state list may show). */
  state: string;
  inAccount: boolean;
  /** Never known to MDM: created by an activate request that named it. */
  unknown: boolean;
  /** Times the device was part of an accepted activate request: above 1 means it was submitted twice. */
  submissions: number;
  /** Times an activation changed it to active: above 1 means it was activated twice. */
  activations: number;
  /** History entries, written only when an activation completed. */
  history: SimDevice['history'];
}

export interface DeviceTruth extends DeviceFacts {
  outcome: DeviceOutcome | null;
  mdn: string | null;
  callbacks: { CarrierService: CallbackTruth | null; NiddService: CallbackTruth | null };
}

export interface SubmissionReport {
  totalSubmissions: number;
  devices: { deviceIds: DeviceId[]; submissions: number; activations: number }[];
  /** Devices submitted more than once: what a "never activate twice" test asserts is empty. */
  resubmitted: { deviceIds: DeviceId[]; submissions: number; activations: number }[];
}

export interface RequestTruth {
  requestId: string;
  accountName: string;
  createdAt: string;
  pending: number;
  devices: { deviceIds: DeviceId[]; result: string; reason: string | null }[];
}

/** A callback named by its service, requestId and the status it carried. */
export interface CallbackOutcome {
  service: CallbackServiceName;
  requestId: string;
  status: string | null;
}

/** What the simulator knows happened to one device: the yardstick a fault test checks a job's report against. */
export interface DeviceRecord extends DeviceFacts {
  /** The requestIds of the accepted activate requests that named it, oldest first (also those whose answer was lost). */
  requestIds: string[];
  /** Activations accepted and not yet carried out. */
  pendingActivations: number;
  /** Every callback ThingSpace decided to send for the device, one record per service and requestId. */
  callbacks: CallbackRecord[];
  /** Callbacks the listener acknowledged (2xx) at least once, by service: what the report must reflect. */
  acknowledged: { CarrierService: CallbackOutcome[]; NiddService: CallbackOutcome[] };
  /** Callbacks never acknowledged because every send of every copy failed up to maxCallbackThreshold. */
  exhausted: CallbackOutcome[];
}

export interface SimulatorRecord {
  devices: DeviceRecord[];
  totals: {
    devices: number;
    submissions: number;
    /** Devices submitted more than once. */
    submittedTwice: number;
    /** Devices activated more than once. */
    activatedTwice: number;
    pendingActivations: number;
    /** Callback records (device × service × requestId) ThingSpace decided to send, dropped ones included. */
    callbacks: number;
    acknowledged: number;
    exhausted: number;
    dropped: number;
    /** HTTP sends, retries and duplicates included. */
    sends: number;
  };
}

export interface RecordQuery {
  accountName?: string;
  /** Only devices that were part of at least one accepted activate request. */
  submittedOnly?: boolean;
}

/** The simulator's clock: virtual under a ManualScheduler, real otherwise. */
export interface ClockState {
  manual: boolean;
  /** Virtual milliseconds elapsed (manual) or the real scheduler's monotonic time. */
  now: number;
  pendingTimers: number | null;
  nextDueIn: number | null;
}

export interface DeviceQuery {
  accountName?: string;
  state?: string;
  inAccount?: boolean;
  limit?: number;
}

/** Every operation of the admin API, usable in-process by tests and by the HTTP routes under /admin. */
export class SimulatorAdmin {
  constructor(private readonly core: SimCore) {}

  getConfig(): SimulatorConfig {
    return this.core.ctx.config;
  }

  setConfig(patch: ConfigPatch): SimulatorConfig {
    this.core.ctx.config = mergeConfig(this.core.ctx.config, patch);
    return this.core.ctx.config;
  }

  scheduleFault(fault: ScheduledFault): void {
    this.core.faults.schedule(fault);
  }

  /** Cancels scheduled faults and sets every fault rate back to zero. */
  clearFaults(): void {
    this.core.faults.clear();
    this.setConfig({ faults: { error5xxRate: 0, error429Rate: 0, latencyMs: 0, ambiguousMode: 'off' } });
  }

  scheduledFaults(): readonly ScheduledFault[] {
    return this.core.faults.pending();
  }

  /** `devices/actions/list` calls served since start (refused ones, by an injected fault, not counted). */
  listCalls(): number {
    return this.core.devices.listCalls;
  }

  /** The same calls per account they listed (the request's accountName, else the session's accounts joined by ','). */
  listCallsByAccount(): Record<string, number> {
    return this.core.devices.listCallsByAccount();
  }

  /** Devices of generated blocks that were given a record of their own (an activation or admin call touched them). */
  touchedBlockDevices(): number {
    return this.core.devices.touchedBlockDevices;
  }

  /**
   * Starts recording what every list call asks for and, with `holdAfter`, holds every call after that many until
   * `releaseListCalls` (see list-watch.ts). A new watch releases the calls a previous one held.
   */
  watchListCalls(options: ListWatchOptions = {}): void {
    this.core.listWatch.start(options);
  }

  listWatch(): ListWatchState {
    return this.core.listWatch.state();
  }

  /** Resolves once the watch holds a list call. */
  listCallHeld(): Promise<void> {
    return this.core.listWatch.holding();
  }

  releaseListCalls(): void {
    this.core.listWatch.release();
  }

  stopListWatch(): void {
    this.core.listWatch.stop();
  }

  addDevices(devices: readonly SeedDevice[]): DeviceTruth[] {
    return devices.map((seed) => {
      this.core.accounts.add(seed.accountName);
      return this.truthOf(this.core.devices.add(seed));
    });
  }

  addUser(user: SeedUser): void {
    this.core.auth.addUser(user);
    for (const account of user.accountNames) this.core.accounts.add(account);
  }

  /** Scripts what the next activation of the device does; null returns it to the random mix. */
  setOutcome(deviceId: DeviceId, outcome: DeviceOutcome | null): DeviceTruth {
    const device = this.require(deviceId);
    device.outcome = outcome ?? undefined;
    return this.truthOf(device);
  }

  /** Puts a device into a state directly, e.g. to stage an "already active" device. */
  setState(deviceId: DeviceId, state: SimDevice['state']): DeviceTruth {
    const device = this.require(deviceId);
    device.state = state;
    return this.truthOf(device);
  }

  deviceTruth(deviceId: DeviceId): DeviceTruth | undefined {
    const device = this.core.devices.peek(deviceId);
    return device && this.truthOf(device);
  }

  devices(query: DeviceQuery = {}): DeviceTruth[] {
    const state = query.state === undefined ? undefined : normalizeState(query.state);
    const out: DeviceTruth[] = [];
    for (const device of this.core.devices.devices()) {
      if (query.accountName !== undefined && device.accountName !== query.accountName) continue;
      if (state !== undefined && normalizeState(device.state) !== state) continue;
      if (query.inAccount !== undefined && device.inAccount !== query.inAccount) continue;
      out.push(this.truthOf(device));
      if (query.limit !== undefined && out.length >= query.limit) break;
    }
    return out;
  }

  submissions(): SubmissionReport {
    const devices: SubmissionReport['devices'] = [];
    let totalSubmissions = 0;
    for (const d of this.core.devices.devices()) {
      if (d.submissions === 0) continue;
      totalSubmissions += d.submissions;
      devices.push({ deviceIds: d.deviceIds, submissions: d.submissions, activations: d.activations });
    }
    return { totalSubmissions, devices, resubmitted: devices.filter((d) => d.submissions > 1) };
  }

  /** The simulator's own record, per device: submissions, activations, final state, callbacks and their fate. */
  record(query: RecordQuery = {}): SimulatorRecord {
    const devices: DeviceRecord[] = [];
    const totals: SimulatorRecord['totals'] = {
      devices: 0,
      submissions: 0,
      submittedTwice: 0,
      activatedTwice: 0,
      pendingActivations: 0,
      callbacks: 0,
      acknowledged: 0,
      exhausted: 0,
      dropped: 0,
      sends: 0,
    };
    for (const d of this.core.devices.devices()) {
      if (query.accountName !== undefined && d.accountName !== query.accountName) continue;
      if (query.submittedOnly && d.submissions === 0) continue;
      const callbacks = this.core.delivery.recordsFor(d.internalId);
      const record: DeviceRecord = {
        ...factsOf(d),
        requestIds: d.requestIds,
        pendingActivations: d.inFlight,
        callbacks: [...callbacks],
        acknowledged: { CarrierService: [], NiddService: [] },
        exhausted: [],
      };
      for (const c of callbacks) {
        const outcome: CallbackOutcome = { service: c.service, requestId: c.requestId, status: c.status };
        if (c.acknowledged > 0) {
          totals.acknowledged++;
          const byService =
            c.service === 'CarrierService'
              ? record.acknowledged.CarrierService
              : c.service === 'NiddService'
                ? record.acknowledged.NiddService
                : undefined;
          byService?.push(outcome);
        } else if (c.exhausted > 0) {
          totals.exhausted++;
          record.exhausted.push(outcome);
        }
        if (c.dropped) totals.dropped++;
        totals.sends += c.sends;
      }
      totals.devices++;
      totals.submissions += d.submissions;
      totals.callbacks += callbacks.length;
      totals.pendingActivations += d.inFlight;
      if (d.submissions > 1) totals.submittedTwice++;
      if (d.activations > 1) totals.activatedTwice++;
      devices.push(record);
    }
    return { devices, totals };
  }

  clock(): ClockState {
    const { scheduler } = this.core.ctx;
    const manual = scheduler instanceof ManualScheduler;
    return {
      manual,
      now: scheduler.now(),
      pendingTimers: manual ? scheduler.pendingTimers : null,
      nextDueIn: manual ? (scheduler.nextDueIn() ?? null) : null,
    };
  }

  /** Advances a ManualScheduler (see ManualScheduler.advance); refused under real timers. */
  async advanceClock(ms: number): Promise<ClockState> {
    const { scheduler } = this.core.ctx;
    if (!(scheduler instanceof ManualScheduler)) throw new Error('the simulator runs on real timers');
    await scheduler.advance(ms);
    return this.clock();
  }

  request(requestId: string): RequestTruth | undefined {
    const request = this.core.activation.get(requestId);
    if (!request) return undefined;
    return {
      requestId: request.requestId,
      accountName: request.accountName,
      createdAt: request.createdAt,
      pending: request.pending,
      devices: request.devices.map((p) => ({
        deviceIds: submittedIdsOf(p),
        result: p.result,
        reason: p.failureReason,
      })),
    };
  }

  resetLockout(username?: string): void {
    this.core.auth.resetLockout(username);
  }

  lockout(username: string): { locked: boolean; failedLogins: number } {
    return this.core.auth.lockoutState(username);
  }

  expireTokens(what: 'oauth' | 'sessions' | 'all'): void {
    this.core.auth.expire(what);
  }

  /** Activate calls the account's rate limit refused (as 429s or 400s) since the last reset. */
  activateRateLimited(accountName: string): number {
    return this.core.activateLimiter.refused(accountName);
  }

  resetRateLimit(): void {
    this.core.activateLimiter.reset();
  }

  pauseCallbacks(): void {
    this.core.delivery.pause();
  }

  resumeCallbacks(): void {
    this.core.delivery.resume();
  }

  callbackStats(): DeliveryStats & { pendingActivations: number } {
    return { ...this.core.delivery.getStats(), pendingActivations: this.core.activation.pending };
  }

  /**
   * Resolves once every accepted activation has changed state and every callback has been acknowledged, dropped or
   * given up. Never resolves while callbacks are paused with work queued.
   */
  async settled(): Promise<void> {
    for (;;) {
      await this.core.activation.whenIdle();
      await this.core.delivery.whenIdle();
      if (this.core.activation.pending === 0) return;
    }
  }

  private require(deviceId: DeviceId): SimDevice {
    const device = this.core.devices.get(deviceId);
    if (!device) throw new Error(`no device ${deviceId.kind} ${deviceId.id}`);
    return device;
  }

  private truthOf(d: SimDevice): DeviceTruth {
    return {
      ...factsOf(d),
      outcome: d.outcome ?? null,
      mdn: d.mdn,
      callbacks: {
        CarrierService: this.core.delivery.truthFor(d.internalId, 'CarrierService') ?? null,
        NiddService: this.core.delivery.truthFor(d.internalId, 'NiddService') ?? null,
      },
    };
  }
}

function factsOf(d: SimDevice): DeviceFacts {
  return {
    deviceIds: d.deviceIds,
    accountName: d.accountName,
    type: d.type,
    state: d.state,
    inAccount: d.inAccount,
    unknown: d.unknown,
    submissions: d.submissions,
    activations: d.activations,
    history: d.history,
  };
}
