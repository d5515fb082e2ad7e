/**
 * Finds the job's devices in the account at a cost that follows the job, not the account (see lookup-plan.ts):
 * direct look-ups by `deviceId`, scans filtered by identifier prefix, a whole-account scan only when asked to or
 * when the caller knows it is cheaper. Progress goes into the heartbeat (scan-cursor.ts), and a retry of the
 * activity resumes from it instead of starting again.
 */
import { Context } from '@temporalio/activity';
import type { ThingSpaceClient } from '../thingspace/client.js';
import { buildDeviceKeyIndex, deviceKey, matchDeviceKey } from '../thingspace/schemas/device-key.js';
import { type Device, type DevicesListRequest, deviceState, normalizeState } from '../thingspace/schemas/devices.js';
import { deviceFromProfile, deviceOfProfile, profileOf } from './device-profile.js';
import { heartbeatProgress } from './heartbeat.js';
import { type LookupPlan, type LookupUnit, lookupIds, planLookup, type PlanOptions } from './lookup-plan.js';
import { BitSet, ProfileIndex, type ScanCursor, ScanCursorSchema } from './scan-cursor.js';
import type { DeviceRef } from './types.js';
import { forEachBounded } from './bounded.js';

/** List calls in flight at once: look-ups are small, but ThingSpace's list rate limit is undocumented. */
export const DEFAULT_LIST_CONCURRENCY = 4;

/**
 * Characters of device profiles the heartbeat carries (devices in the same state share one profile); devices
 * beyond it are looked up again after a retry. Well under Temporal's 512 KB payload warning.
 */
const PROFILE_BUDGET_CHARS = 128 * 1024;
const MAX_PROFILES = 65_535;
/** Characters of the per-device profile numbers: past it (over ~190,000 devices) the cursor keeps no device. */
const KEPT_INDEX_CHARS = 256 * 1024;

export interface ScanOptions extends PlanOptions {
  /**
   * The caller only cares about devices in this state (e.g. a poll asks for `active`): scans are filtered by
   * `currentState`, and devices in other states are left out of the result. Leave unset to see every state.
   */
  onlyState?: string;
  concurrency?: number;
}

export interface LookupResult {
  /** Found devices by canonical key (`DeviceRef.key`). */
  found: Map<string, Device>;
  /** List calls this attempt made. */
  listCalls: number;
  /** List calls of every attempt, as recorded in the heartbeat cursor. */
  totalListCalls: number;
  units: number;
  estimatedCalls: number;
  /** This attempt went on from a previous attempt's cursor. */
  resumed: boolean;
}

/**
 * The job's devices as listed by ThingSpace, by canonical key; devices not in the account are absent. Each device
 * carries its identifiers, carrier information (state, service plan) and IP address (see device-profile.ts).
 */
export async function scanAccount(
  client: ThingSpaceClient,
  accountName: string,
  devices: readonly DeviceRef[],
  options: ScanOptions = {},
): Promise<Map<string, Device>> {
  return (await lookupDevices(client, accountName, devices, options)).found;
}

export async function lookupDevices(
  client: ThingSpaceClient,
  accountName: string,
  devices: readonly DeviceRef[],
  options: ScanOptions = {},
): Promise<LookupResult> {
  const plan = planLookup(devices, options);
  const lookup = new Lookup(client, accountName, devices, plan, options);
  const resumed = lookup.resume(Context.current().info.heartbeatDetails);
  if (resumed) await lookup.refetchForgotten();
  await lookup.run(0, plan.fallbackFrom);
  // With a state filter, a device missing from the scans may just be in another state: no fallback look-ups.
  if (options.onlyState === undefined) await lookup.run(plan.fallbackFrom, plan.units.length);
  const result: LookupResult = {
    found: lookup.result(),
    listCalls: lookup.listCalls,
    totalListCalls: lookup.priorCalls + lookup.listCalls,
    units: plan.units.length,
    estimatedCalls: plan.estimatedCalls,
    resumed,
  };
  Context.current().log.info('devices looked up', {
    devices: devices.length,
    found: result.found.size,
    units: result.units,
    estimatedCalls: result.estimatedCalls,
    listCalls: result.listCalls,
    totalListCalls: result.totalListCalls,
    resumed,
  });
  return result;
}

class Lookup {
  private readonly index: Map<string, string>;
  /** Canonical key → the first input index with that key (duplicates share one result). */
  private readonly memberOf = new Map<string, number>();
  private readonly state: string | undefined;
  private done: BitSet;
  private found: BitSet;
  private open = new Map<number, string>();
  private readonly listed = new Map<number, Device>();
  private profiles: string[] = [];
  private readonly profileNumber = new Map<string, number>();
  private profileChars = 0;
  private kept: ProfileIndex;
  listCalls = 0;
  priorCalls = 0;

  constructor(
    private readonly client: ThingSpaceClient,
    private readonly accountName: string,
    private readonly devices: readonly DeviceRef[],
    private readonly plan: LookupPlan,
    private readonly options: ScanOptions,
  ) {
    this.index = buildDeviceKeyIndex(devices.map((d) => d.deviceIds));
    devices.forEach((ref, i) => {
      const key = deviceKey(ref.deviceIds) ?? ref.key;
      if (!this.memberOf.has(key)) this.memberOf.set(key, i);
    });
    this.state = options.onlyState === undefined ? undefined : normalizeState(options.onlyState);
    this.done = new BitSet(plan.units.length);
    this.found = new BitSet(devices.length);
    this.kept = new ProfileIndex(devices.length);
  }

  /** Takes over a previous attempt's cursor when it was written for this plan. */
  resume(details: unknown): boolean {
    const parsed = ScanCursorSchema.safeParse(details);
    if (!parsed.success || parsed.data.plan !== this.plan.fingerprint) return false;
    const cursor = parsed.data;
    const done = BitSet.decode(this.plan.units.length, cursor.done);
    const found = BitSet.decode(this.devices.length, cursor.found);
    const kept = ProfileIndex.decode(this.devices.length, cursor.kept);
    if (!done || !found || !kept) return false;
    const restored = new Map<number, Device>();
    for (const member of found.values()) {
      const profile = cursor.profiles[(kept.of[member] as number) - 1];
      const device = profile === undefined ? undefined : deviceFromProfile(profile, this.ref(member).deviceIds);
      if (device) restored.set(member, device);
    }
    this.priorCalls = cursor.listCalls;
    // Looking forgotten devices up again costs a call each; past what the cursor saved, starting over is cheaper.
    if (found.size - restored.size > cursor.listCalls) return false;
    this.done = done;
    this.found = found;
    this.open = new Map(Object.entries(cursor.open).map(([unit, next]) => [Number(unit), next]));
    for (const [member, device] of restored) this.keep(member, device);
    return true;
  }

  /** Found devices the cursor had no room for, looked up again directly. */
  async refetchForgotten(): Promise<void> {
    const members = [...this.found.values()].filter((m) => !this.listed.has(m));
    await this.pool(members, async (member) => {
      for (const id of lookupIds(this.ref(member))) {
        await this.list({ accountName: this.accountName, deviceId: id });
        if (this.listed.has(member)) return;
      }
    });
    this.beat();
  }

  /** Runs the units in [from, to) not done yet. */
  async run(from: number, to: number): Promise<void> {
    const pending: number[] = [];
    for (let u = from; u < to; u++) if (!this.done.has(u)) pending.push(u);
    await this.pool(pending, (u) => this.runUnit(u));
  }

  result(): Map<string, Device> {
    const found = new Map<string, Device>();
    for (const [key, member] of this.memberOf) {
      const device = this.listed.get(member);
      if (device) found.set(key, device);
    }
    return found;
  }

  private ref(member: number): DeviceRef {
    return this.devices[member] as DeviceRef;
  }

  private allFound(): boolean {
    return this.found.size === this.memberOf.size;
  }

  private async runUnit(u: number): Promise<void> {
    const unit = this.plan.units[u] as LookupUnit;
    if (this.allFound() || (unit.type === 'direct' && unit.ifMissing && this.found.has(unit.member))) {
      this.done.add(u);
      return;
    }
    const next = this.open.get(u);
    const request: DevicesListRequest = {
      accountName: this.accountName,
      ...(unit.type === 'direct' && { deviceId: unit.id }),
      ...(unit.type === 'prefix' && {
        // `contains` too: the API reference lists it as the filter's one required field.
        filter: { deviceIdentifierFilters: [{ kind: unit.kind, contains: unit.prefix, startswith: unit.prefix }] },
      }),
      ...(unit.type !== 'direct' && this.options.onlyState !== undefined && { currentState: this.options.onlyState }),
      ...(next !== undefined && { largestDeviceIdSeen: next }),
    };
    await this.list(request, (more, nextCursor) => {
      if (more && nextCursor !== undefined) this.open.set(u, nextCursor);
      else {
        this.open.delete(u);
        this.done.add(u);
      }
      this.beat();
      return !this.allFound();
    });
  }

  /** Pages through one request; `onPage` says whether to go on. */
  private async list(
    request: DevicesListRequest,
    onPage: (more: boolean, next: string | undefined) => boolean = () => true,
  ): Promise<void> {
    const signal = Context.current().cancellationSignal;
    for await (const page of this.client.listDevicesPages(request, { signal })) {
      this.listCalls++;
      for (const device of page.devices) this.record(device);
      if (!onPage(page.more, page.nextCursor)) return;
    }
  }

  private record(device: Device): void {
    const key = matchDeviceKey(this.index, device.deviceIds ?? []);
    if (key === undefined) return;
    // Direct look-ups are not filtered by state on the wire; the caller's choice applies all the same.
    if (this.state !== undefined && deviceState(device) !== this.state) return;
    const member = this.memberOf.get(key) as number;
    this.found.add(member);
    this.keep(member, device);
  }

  /** Keeps the device as its profile, which the result and (within the budget) the heartbeat carry. */
  private keep(member: number, device: Device): void {
    const given = this.ref(member).deviceIds;
    const profile = profileOf(device, given);
    this.listed.set(member, deviceOfProfile(profile, given));
    // The cursor carries profiles as JSON text; devices with the same text share one entry.
    const text = JSON.stringify(profile);
    let number = this.profileNumber.get(text);
    if (number === undefined) {
      if (this.profileChars + text.length > PROFILE_BUDGET_CHARS || this.profiles.length >= MAX_PROFILES) {
        this.kept.of[member] = 0;
        return;
      }
      this.profiles.push(text);
      this.profileChars += text.length;
      number = this.profiles.length;
      this.profileNumber.set(text, number);
    }
    this.kept.of[member] = number;
  }

  private beat(): void {
    const cursor: ScanCursor = {
      v: 1,
      plan: this.plan.fingerprint,
      done: this.done.encode(),
      open: Object.fromEntries([...this.open].map(([u, next]) => [String(u), next])),
      found: this.found.encode(),
      profiles: this.profiles,
      kept: this.kept.encode(this.profiles.length, KEPT_INDEX_CHARS),
      listCalls: this.priorCalls + this.listCalls,
    };
    heartbeatProgress(cursor);
  }

  private pool<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
    return forEachBounded(items, Math.min(this.options.concurrency ?? DEFAULT_LIST_CONCURRENCY, items.length), fn);
  }
}
