import { mergeConfig, type ConfigPatch, type SimulatorConfig } from './config.js';
import type { SimCore } from './core.js';
import type { CallbackTruth, DeliveryStats } from './delivery.js';
import type { ScheduledFault } from './faults.js';
import {
  normalizeState,
  type DeviceIdentifier,
  type DeviceOutcome,
  type SeedDevice,
  type SeedUser,
  type SimDevice,
} from './model.js';

export interface DeviceTruth {
  deviceIds: DeviceIdentifier[];
  accountName: string;
  type: SimDevice['type'];
  state: string;
  inAccount: boolean;
  /** Never known to MDM: created by an activate request that named it. */
  unknown: boolean;
  outcome: DeviceOutcome | null;
  /** Times the device was part of an accepted activate request. */
  submissions: number;
  /** Times an activation changed it to active; above 1 means it was activated twice. */
  activations: number;
  mdn: string | null;
  history: SimDevice['history'];
  callbacks: { CarrierService: CallbackTruth | null; NiddService: CallbackTruth | null };
}

export interface SubmissionReport {
  totalSubmissions: number;
  devices: { deviceIds: DeviceIdentifier[]; submissions: number; activations: number }[];
  /** Devices submitted more than once: what a "never activate twice" test asserts is empty. */
  resubmitted: { deviceIds: DeviceIdentifier[]; submissions: number; activations: number }[];
}

export interface RequestTruth {
  requestId: string;
  accountName: string;
  createdAt: string;
  pending: number;
  devices: { deviceIds: DeviceIdentifier[]; result: string; reason: string | null }[];
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
  setOutcome(deviceId: DeviceIdentifier, outcome: DeviceOutcome | null): DeviceTruth {
    const device = this.require(deviceId);
    device.outcome = outcome ?? undefined;
    return this.truthOf(device);
  }

  /** Puts a device into a state directly, e.g. to stage an "already active" device. */
  setState(deviceId: DeviceIdentifier, state: SimDevice['state']): DeviceTruth {
    const device = this.require(deviceId);
    device.state = state;
    return this.truthOf(device);
  }

  deviceTruth(deviceId: DeviceIdentifier): DeviceTruth | undefined {
    const device = this.core.devices.get(deviceId);
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

  request(requestId: string): RequestTruth | undefined {
    const request = this.core.activation.get(requestId);
    if (!request) return undefined;
    return {
      requestId: request.requestId,
      accountName: request.accountName,
      createdAt: request.createdAt,
      pending: request.pending,
      devices: request.devices.map((p) => ({ deviceIds: p.submittedIds, result: p.result, reason: p.failureReason })),
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

  private require(deviceId: DeviceIdentifier): SimDevice {
    const device = this.core.devices.get(deviceId);
    if (!device) throw new Error(`no device ${deviceId.kind} ${deviceId.id}`);
    return device;
  }

  private truthOf(d: SimDevice): DeviceTruth {
    const key = String(d.internalId);
    return {
      deviceIds: d.deviceIds,
      accountName: d.accountName,
      type: d.type,
      state: d.state,
      inAccount: d.inAccount,
      unknown: d.unknown,
      outcome: d.outcome ?? null,
      submissions: d.submissions,
      activations: d.activations,
      mdn: d.mdn,
      history: d.history,
      callbacks: {
        CarrierService: this.core.delivery.truthFor(key, 'CarrierService') ?? null,
        NiddService: this.core.delivery.truthFor(key, 'NiddService') ?? null,
      },
    };
  }
}
