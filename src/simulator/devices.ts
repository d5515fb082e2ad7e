import type { DevicesListRequest } from '../thingspace/schemas/index.js';
import type { SimContext } from './context.js';
import { DeviceBlock } from './device-block.js';
import {
  idOfKind,
  kindIs,
  normalizeState,
  untouchedActivationFields,
  type DeviceBlockSeed,
  type SeedDevice,
  type SimDevice,
} from './model.js';
import type { DeviceId } from '../thingspace/schemas/device-key.js';

/** ThingSpace's DeviceIds are large integers; starting high makes a client that assumes small numbers fail here. */
const FIRST_INTERNAL_ID = 7_300_000_001;

const keyOf = (d: DeviceId) => `${d.kind.toLowerCase()}:${d.id}`;

export interface ListPage {
  devices: SimDevice[];
  hasMoreData: boolean;
}

/**
 * All devices, in creation order, indexed by every identifier. Devices seeded one by one are records in `all`;
 * blocks of generated devices (DeviceBlock) hold theirs by position. `segments` keeps both in internal id order.
 */
export class DeviceStore {
  private readonly all: SimDevice[] = [];
  private readonly segments: (SimDevice | DeviceBlock)[] = [];
  private readonly blocks: DeviceBlock[] = [];
  private blockDevices = 0;
  private readonly byIdentifier = new Map<string, SimDevice>();
  private nextInternalId = FIRST_INTERNAL_ID;
  /** `devices/actions/list` calls served, so tests and the benchmark can show what a check or poll cost. */
  private listCallCount = 0;
  private readonly listCallsPerAccount = new Map<string, number>();
  /** Per identifier kind, the devices sorted by that identifier: prefix filters read a range, not every device. */
  private readonly prefixIndex = new Map<string, { ids: string[]; devices: SimDevice[] }>();

  constructor(private readonly ctx: SimContext) {}

  add(seed: SeedDevice, unknown = false): SimDevice {
    for (const id of seed.deviceIds) {
      if (this.byIdentifier.has(keyOf(id))) throw new Error(`device ${id.kind} ${id.id} already exists`);
    }
    const device: SimDevice = {
      internalId: this.nextInternalId++,
      accountName: seed.accountName,
      type: seed.type ?? (idOfKind(seed.deviceIds, 'eid') ? 'NB-IoT' : '4G'),
      deviceIds: seed.deviceIds.map((d) => ({ ...d })),
      state: seed.state ?? 'pre-active',
      servicePlan: seed.servicePlan ?? '',
      inAccount: seed.inAccount ?? true,
      unknown,
      createdAt: new Date(this.ctx.now()).toISOString(),
      groupNames: seed.groupNames ?? [`Default: ${seed.accountName}`],
      customFields: seed.customFields ?? [],
      outcome: seed.outcome,
      ...untouchedActivationFields(),
    };
    this.all.push(device);
    this.segments.push(device);
    for (const id of device.deviceIds) this.byIdentifier.set(keyOf(id), device);
    this.prefixIndex.clear();
    return device;
  }

  /** A block of generated devices: internal ids are reserved for all of them, records made only when touched. */
  addBlock(seed: DeviceBlockSeed): DeviceBlock {
    if (this.blocks.some((b) => b.prefix === seed.prefix)) throw new Error(`block prefix ${seed.prefix} already used`);
    const block = new DeviceBlock(seed, this.nextInternalId, new Date(this.ctx.now()).toISOString());
    // One sample device is enough: every identifier of a block starts with its prefix, and seeded ids are checked.
    for (const id of block.peek(0).deviceIds) {
      if (this.byIdentifier.has(keyOf(id))) throw new Error(`device ${id.kind} ${id.id} already exists`);
    }
    this.nextInternalId += seed.count;
    this.blocks.push(block);
    this.segments.push(block);
    this.blockDevices += seed.count;
    return block;
  }

  /** The device's record, to change: a block device gets one of its own here. */
  get(id: DeviceId): SimDevice | undefined {
    const device = this.byIdentifier.get(keyOf(id));
    if (device) return device;
    for (const block of this.blocks) {
      const index = block.indexOf(id);
      if (index !== undefined) return block.device(index);
    }
    return undefined;
  }

  /** The device, to read only: an untouched block device is not given a record (look-ups must not fill memory). */
  peek(id: DeviceId): SimDevice | undefined {
    const device = this.byIdentifier.get(keyOf(id));
    if (device) return device;
    for (const block of this.blocks) {
      const index = block.indexOf(id);
      if (index !== undefined) return block.peek(index);
    }
    return undefined;
  }

  /** Block devices with a record of their own (touched by an activation or an admin call). */
  get touchedBlockDevices(): number {
    return this.blocks.reduce((sum, b) => sum + b.touchedDevices, 0);
  }

  /** The distinct devices the identifiers name: more than one means an IMEI of one device with another's ICCID. */
  find(ids: readonly DeviceId[]): SimDevice[] {
    const found = new Set<SimDevice>();
    for (const id of ids) {
      const device = this.get(id);
      if (device) found.add(device);
    }
    return [...found];
  }

  /** Every device, oldest first; untouched block devices as throwaway records (read, never change them). */
  *devices(): Iterable<SimDevice> {
    for (const segment of this.segments) {
      if (segment instanceof DeviceBlock) for (let i = 0; i < segment.count; i++) yield segment.peek(i);
      else yield segment;
    }
  }

  get size(): number {
    return this.all.length + this.blockDevices;
  }

  get listCalls(): number {
    return this.listCallCount;
  }

  listCallsByAccount(): Record<string, number> {
    return Object.fromEntries(this.listCallsPerAccount);
  }

  /**
   * Oldest first; the page starts after `largestDeviceIdSeen`, ThingSpace's cursor. Every filter of the request
   * applies (all of them together); kinds and states compare case-insensitively, as real payloads mix spellings.
   */
  list(
    filter: DevicesListRequest,
    accountNames: readonly string[],
    pageSize: number,
    pendingState: string | null,
  ): ListPage {
    this.listCallCount++;
    const account = filter.accountName ?? accountNames.join(',');
    this.listCallsPerAccount.set(account, (this.listCallsPerAccount.get(account) ?? 0) + 1);
    const limit = Math.max(1, Math.min(pageSize, filter.maxNumberOfDevices ?? pageSize));
    const after = filter.largestDeviceIdSeen === undefined ? 0 : Number(filter.largestDeviceIdSeen);
    const matches = this.matcher(filter, accountNames, pendingState);
    if (filter.deviceId) {
      // A look-up by identifier reads the index: its cost must not grow with the account.
      const device = this.peek(filter.deviceId);
      const hit = device !== undefined && device.internalId > after && matches(device);
      return { devices: hit ? [device] : [], hasMoreData: false };
    }
    const devices: SimDevice[] = [];
    for (const device of this.candidates(filter, after, accountNames, pendingState)) {
      if (!matches(device)) continue;
      if (devices.length === limit) return { devices, hasMoreData: true };
      devices.push(device);
    }
    return { devices, hasMoreData: false };
  }

  /** Devices after the cursor, oldest first, that may match: a narrow `startswith` filter reads its index range. */
  private *candidates(
    filter: DevicesListRequest,
    after: number,
    accountNames: readonly string[],
    pendingState: string | null,
  ): Iterable<SimDevice> {
    const prefixed = filter.filter?.deviceIdentifierFilters.find((f) => f.startswith !== undefined);
    if (prefixed && this.blocks.length === 0) {
      const range = this.prefixRange(prefixed.kind.toLowerCase(), prefixed.startswith as string);
      if (range.length < this.all.length / 4) {
        const sorted = [...new Set(range)]
          .filter((d) => d.internalId > after)
          .sort((a, b) => a.internalId - b.internalId);
        yield* sorted;
        return;
      }
    }
    // Untouched devices of a block differ only in their identifiers: one of them answers every other filter for
    // all, a block whose untouched devices cannot match costs a walk over its touched ones only, and a `startswith`
    // filter narrows the walk to one run of positions.
    const blockWide = this.matcher({ ...filter, filter: undefined }, accountNames, pendingState);
    for (let s = this.firstSegmentAfter(after); s < this.segments.length; s++) {
      const segment = this.segments[s] as SimDevice | DeviceBlock;
      if (!(segment instanceof DeviceBlock)) {
        yield segment;
        continue;
      }
      const untouchedMatch = blockWide(segment.peekUntouched());
      const range = (prefixed && segment.indexRange(prefixed.kind, prefixed.startswith as string)) || [
        0,
        segment.count,
      ];
      const from = Math.max(0, after + 1 - segment.firstInternalId);
      // Touched devices keep their identifiers, so the range bounds them too.
      for (let i = Math.max(from, range[0]); i < range[1]; i++) {
        const touched = segment.touchedAt(i);
        if (touched) yield touched;
        else if (untouchedMatch) yield segment.peek(i);
      }
    }
  }

  private prefixRange(kind: string, prefix: string): SimDevice[] {
    let index = this.prefixIndex.get(kind);
    if (!index) {
      const entries: [string, SimDevice][] = [];
      for (const d of this.all)
        for (const id of d.deviceIds) if (id.kind.toLowerCase() === kind) entries.push([id.id, d]);
      entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      index = { ids: entries.map((e) => e[0]), devices: entries.map((e) => e[1]) };
      this.prefixIndex.set(kind, index);
    }
    const from = lowerBound(index.ids, prefix);
    let to = from;
    while (to < index.ids.length && (index.ids[to] as string).startsWith(prefix)) to++;
    return index.devices.slice(from, to);
  }

  /** The first segment holding a device whose internal id is above `internalId`. */
  private firstSegmentAfter(internalId: number): number {
    const lastId = (s: SimDevice | DeviceBlock) => (s instanceof DeviceBlock ? s.lastInternalId : s.internalId);
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (lastId(this.segments[mid] as SimDevice | DeviceBlock) <= internalId) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private matcher(
    filter: DevicesListRequest,
    accountNames: readonly string[],
    pendingState: string | null,
  ): (d: SimDevice) => boolean {
    const accounts = new Set(filter.accountName ? [filter.accountName] : accountNames);
    const state = filter.currentState ? normalizeState(filter.currentState) : undefined;
    const earliest = filter.earliest ? Date.parse(filter.earliest) : undefined;
    const latest = filter.latest ? Date.parse(filter.latest) : undefined;
    const deviceId = filter.deviceId;
    const identifierFilters = (filter.filter?.deviceIdentifierFilters ?? []).map((f) => ({
      ...f,
      kind: f.kind.toLowerCase(),
    }));
    const customFields = (filter.customFields ?? []).map((f) => ({ key: f.key.toLowerCase(), value: f.value }));
    // Cheap tests first: a filtered scan runs this over every device after the cursor.
    return (d) => {
      if (!d.inAccount || !accounts.has(d.accountName)) return false;
      if (filter.groupName !== undefined && !d.groupNames.includes(filter.groupName)) return false;
      if (filter.servicePlan !== undefined && d.servicePlan !== filter.servicePlan) return false;
      if (state !== undefined && normalizeState(displayState(d, pendingState)) !== state) return false;
      if (deviceId && !d.deviceIds.some((id) => kindIs(id, deviceId.kind) && id.id === deviceId.id)) return false;
      // Custom field names (`CustomField1` …) compare case-insensitively, values exactly; every pair must match.
      if (customFields.some((f) => !d.customFields.some((c) => c.key.toLowerCase() === f.key && c.value === f.value))) {
        return false;
      }
      if (earliest !== undefined || latest !== undefined) {
        const created = Date.parse(d.createdAt);
        if (earliest !== undefined && created < earliest) return false;
        if (latest !== undefined && created > latest) return false;
      }
      return identifierFilters.every((f) =>
        d.deviceIds.some(
          (id) =>
            (f.startswith === undefined || id.id.startsWith(f.startswith)) &&
            (f.endswith === undefined || id.id.endsWith(f.endswith)) &&
            (f.contains === undefined || id.id.includes(f.contains)) &&
            id.kind.toLowerCase() === f.kind,
        ),
      );
    };
  }
}

function lowerBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function displayState(d: SimDevice, pendingState: string | null): string {
  return d.inFlight > 0 && pendingState !== null ? pendingState : d.state;
}

/** The wire shape of a device in a list response. */
export function renderDevice(d: SimDevice, pendingState: string | null) {
  const lineIds: DeviceId[] = [];
  if (d.mdn) lineIds.push({ kind: 'mdn', id: d.mdn });
  if (d.msisdn) lineIds.push({ kind: 'msisdn', id: d.msisdn });
  if (d.imsi) lineIds.push({ kind: 'imsi', id: d.imsi });
  return {
    accountName: d.accountName,
    billingCycleEndDate: null,
    carrierInformations: [
      { carrierName: 'Verizon Wireless', servicePlan: d.servicePlan, state: displayState(d, pendingState) },
    ],
    connected: false,
    createdAt: d.createdAt,
    customFields: d.customFields,
    deviceIds: [...d.deviceIds, ...lineIds],
    extendedAttributes: [
      { key: 'DeviceId', value: String(d.internalId) },
      { key: 'DeviceType', value: d.type },
    ],
    groupNames: d.groupNames,
    ipAddress: d.ipAddress,
    lastActivationBy: d.lastActivationBy,
    lastActivationDate: d.lastActivationDate,
    lastConnectionDate: null,
  };
}
