/**
 * A block of generated devices (DeviceBlockSeed) kept as a handful of numbers: a device's identifiers are computed
 * from its position, a look-up parses the position back out of the identifier, and a device gets a SimDevice of its
 * own only when something is about to change it (an activation, an admin call). Two million untouched devices cost
 * one pointer each.
 */
import type { DeviceId } from '../thingspace/schemas/device-key.js';
import { KIND_SPELLINGS } from './generate.js';
import { iccid, imei } from './identifiers.js';
import type { DeviceBlockSeed, DeviceOutcome, DeviceState, DeviceType, HistoryEntry, SimDevice } from './model.js';

/** The two identifiers of the block device at `index`, spelled as generateSeed spells them (kinds in mixed case). */
export function blockDeviceIds(prefix: string, index: number): DeviceId[] {
  const spelling = index % 3;
  return [
    { kind: KIND_SPELLINGS.imei[spelling] as string, id: imei(prefix, index) },
    { kind: KIND_SPELLINGS.iccid[spelling] as string, id: iccid(prefix, index) },
  ];
}

/** Where a block's prefix sits in each identifier, and how many serial digits follow it (before the check digit). */
const LAYOUT = {
  imei: { lead: '35', length: 15, serialDigits: 7 },
  iccid: { lead: '891480', length: 20, serialDigits: 8 },
} as const;

export class DeviceBlock {
  readonly accountName: string;
  readonly count: number;
  readonly prefix: string;
  readonly state: DeviceState;
  readonly servicePlan: string;
  readonly firstInternalId: number;
  /** One string and one array for all of its devices: nothing about them differs but the identifiers. */
  readonly createdAt: string;
  readonly groupNames: string[];
  readonly noCustomFields: { key: string; value: string }[] = [];
  /** Devices that have a record of their own, by index; undefined for the untouched ones. */
  private readonly touched: (SimDevice | undefined)[];
  private touchedCount = 0;

  constructor(seed: DeviceBlockSeed, firstInternalId: number, createdAt: string) {
    this.accountName = seed.accountName;
    this.count = seed.count;
    this.prefix = seed.prefix;
    this.state = seed.state ?? 'pre-active';
    this.servicePlan = seed.servicePlan ?? '4G-IoT-1GB';
    this.firstInternalId = firstInternalId;
    this.createdAt = createdAt;
    this.groupNames = [`Default: ${seed.accountName}`];
    // Filled, not sparse: a holey array of millions falls back to a slow dictionary.
    this.touched = new Array<SimDevice | undefined>(seed.count).fill(undefined);
  }

  get lastInternalId(): number {
    return this.firstInternalId + this.count - 1;
  }

  get touchedDevices(): number {
    return this.touchedCount;
  }

  /** The position of the device this identifier names, or undefined when it names none of this block's. */
  indexOf(id: DeviceId): number | undefined {
    const kind = id.kind.toLowerCase();
    if (kind !== 'imei' && kind !== 'iccid') return undefined;
    const layout = LAYOUT[kind];
    const head = layout.lead + this.prefix;
    if (id.id.length !== layout.length || !id.id.startsWith(head)) return undefined;
    const index = Number(id.id.slice(head.length, head.length + layout.serialDigits));
    if (!Number.isInteger(index) || index >= this.count) return undefined;
    // The check digit (and the exact spelling of the digits) must be ours too.
    const expected = kind === 'imei' ? imei(this.prefix, index) : iccid(this.prefix, index);
    return expected === id.id ? index : undefined;
  }

  /**
   * The positions [from, to) whose identifier of `kind` starts with `prefix`: identifiers are lead, block prefix,
   * zero-padded serial and check digit, so a prefix names one run of serials. Undefined for kinds without one.
   */
  indexRange(kind: string, prefix: string): [number, number] | undefined {
    const lower = kind.toLowerCase();
    if (lower !== 'imei' && lower !== 'iccid') return undefined;
    const layout = LAYOUT[lower];
    const head = layout.lead + this.prefix;
    if (head.startsWith(prefix)) return [0, this.count];
    if (!prefix.startsWith(head) || !/^\d*$/.test(prefix)) return [0, 0];
    const rest = prefix.slice(head.length);
    if (rest.length > layout.serialDigits) {
      // Serial and check digit named in full: at most one device.
      const index = this.indexOf({ kind: lower, id: prefix });
      return index === undefined ? [0, 0] : [index, index + 1];
    }
    const scale = 10 ** (layout.serialDigits - rest.length);
    const first = Number(rest || '0') * scale;
    return [Math.min(first, this.count), Math.min(first + scale, this.count)];
  }

  /** The device's own record, created on first use: callers may change it. */
  device(index: number): SimDevice {
    let device = this.touched[index];
    if (!device) {
      device = this.view(index);
      this.touched[index] = device;
      this.touchedCount++;
    }
    return device;
  }

  /** The device to read: its own record, or (untouched) a throwaway one that must not be changed. */
  peek(index: number): SimDevice {
    return this.touched[index] ?? this.view(index);
  }

  /** What every untouched device of the block looks like, identifiers aside (for filters that ignore them). */
  peekUntouched(): SimDevice {
    return this.view(0);
  }

  touchedAt(index: number): SimDevice | undefined {
    return this.touched[index];
  }

  private view(index: number): SimDevice {
    return new BlockDevice(this, index);
  }
}

/**
 * A block device's record. What no activation changes is read from the block and the identifiers are computed, so
 * a million touched devices keep only what happened to them: the simulator's collector copies and marks every byte
 * of its records, and its CPU comes off the two cores the benchmark shares with the product.
 */
class BlockDevice implements SimDevice {
  state: DeviceState;
  servicePlan: string;
  inAccount = true;
  outcome: DeviceOutcome | undefined = undefined;
  ipAddress: string | null = null;
  mdn: string | null = null;
  msisdn: string | null = null;
  imsi: string | null = null;
  min: string | null = null;
  lastActivationDate: string | null = null;
  lastActivationBy: string | null = null;
  history: HistoryEntry[] = [];
  inFlight = 0;
  submissions = 0;
  requestIds: string[] = [];
  activations = 0;

  constructor(
    private readonly block: DeviceBlock,
    private readonly index: number,
  ) {
    this.state = block.state;
    this.servicePlan = block.servicePlan;
  }

  get internalId(): number {
    return this.block.firstInternalId + this.index;
  }

  get accountName(): string {
    return this.block.accountName;
  }

  get type(): DeviceType {
    return '4G';
  }

  get deviceIds(): DeviceId[] {
    return blockDeviceIds(this.block.prefix, this.index);
  }

  get unknown(): boolean {
    return false;
  }

  get createdAt(): string {
    return this.block.createdAt;
  }

  get groupNames(): string[] {
    return this.block.groupNames;
  }

  get customFields(): { key: string; value: string }[] {
    return this.block.noCustomFields;
  }
}
