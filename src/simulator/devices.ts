import type { DevicesListRequest } from '../thingspace/schemas/index.js';
import type { SimContext } from './context.js';
import { idOfKind, kindIs, normalizeState, type SeedDevice, type SimDevice } from './model.js';
import type { DeviceId } from '../thingspace/schemas/device-key.js';

/** ThingSpace's DeviceIds are large integers; starting high makes a client that assumes small numbers fail here. */
const FIRST_INTERNAL_ID = 7_300_000_001;

const keyOf = (d: DeviceId) => `${d.kind.toLowerCase()}:${d.id}`;

export interface ListPage {
  devices: SimDevice[];
  hasMoreData: boolean;
}

/** All devices, in creation order, indexed by every identifier. */
export class DeviceStore {
  private readonly all: SimDevice[] = [];
  private readonly byIdentifier = new Map<string, SimDevice>();
  private nextInternalId = FIRST_INTERNAL_ID;
  /** `devices/actions/list` calls served, so tests and the benchmark can show what a check or poll cost. */
  private listCallCount = 0;
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
      ipAddress: null,
      mdn: null,
      msisdn: null,
      imsi: null,
      min: null,
      lastActivationDate: null,
      lastActivationBy: null,
      history: [],
      inFlight: 0,
      submissions: 0,
      requestIds: [],
      activations: 0,
    };
    this.all.push(device);
    for (const id of device.deviceIds) this.byIdentifier.set(keyOf(id), device);
    this.prefixIndex.clear();
    return device;
  }

  get(id: DeviceId): SimDevice | undefined {
    return this.byIdentifier.get(keyOf(id));
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

  *devices(): Iterable<SimDevice> {
    yield* this.all;
  }

  get size(): number {
    return this.all.length;
  }

  get listCalls(): number {
    return this.listCallCount;
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
    const limit = Math.max(1, Math.min(pageSize, filter.maxNumberOfDevices ?? pageSize));
    const after = filter.largestDeviceIdSeen === undefined ? 0 : Number(filter.largestDeviceIdSeen);
    const matches = this.matcher(filter, accountNames, pendingState);
    if (filter.deviceId) {
      // A look-up by identifier reads the index: its cost must not grow with the account.
      const device = this.get(filter.deviceId);
      const hit = device !== undefined && device.internalId > after && matches(device);
      return { devices: hit ? [device] : [], hasMoreData: false };
    }
    const devices: SimDevice[] = [];
    for (const device of this.candidates(filter, after)) {
      if (!matches(device)) continue;
      if (devices.length === limit) return { devices, hasMoreData: true };
      devices.push(device);
    }
    return { devices, hasMoreData: false };
  }

  /** Devices after the cursor, oldest first, that may match: a narrow `startswith` filter reads its index range. */
  private *candidates(filter: DevicesListRequest, after: number): Iterable<SimDevice> {
    const prefixed = filter.filter?.deviceIdentifierFilters.find((f) => f.startswith !== undefined);
    const range = prefixed ? this.prefixRange(prefixed.kind.toLowerCase(), prefixed.startswith as string) : undefined;
    if (range && range.length < this.all.length / 4) {
      const sorted = [...new Set(range)]
        .filter((d) => d.internalId > after)
        .sort((a, b) => a.internalId - b.internalId);
      yield* sorted;
      return;
    }
    for (let i = this.firstIndexAfter(after); i < this.all.length; i++) yield this.all[i] as SimDevice;
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

  private firstIndexAfter(internalId: number): number {
    let lo = 0;
    let hi = this.all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.all[mid] as SimDevice).internalId <= internalId) lo = mid + 1;
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
