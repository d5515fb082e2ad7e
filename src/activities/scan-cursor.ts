/**
 * The heartbeat cursor of a device look-up: what a retry of the activity needs to go on where the last attempt
 * stopped. Sets are bitmaps (base64), so a cursor for 1,000,000 devices is about 170 KB and for 10,000 under 2 KB;
 * found devices themselves are kept only up to a small budget and looked up again otherwise.
 */
import { z } from 'zod';

export const ScanCursorSchema = z.object({
  v: z.literal(1),
  /** LookupPlan.fingerprint: a cursor is only valid for the plan it was written for. */
  plan: z.string(),
  /** Units finished (bitmap over unit indexes). */
  done: z.string(),
  /** Scans under way: unit index → `largestDeviceIdSeen` of their next page. */
  open: z.record(z.string(), z.string()),
  /** Devices found so far (bitmap over the input's indexes). */
  found: z.string(),
  /** Distinct profiles of the found devices kept (device-profile.ts). */
  profiles: z.array(z.string()),
  /** Per input index, 1 + its profile's index (0: not kept), base64 of uint8 or little-endian uint16; '' for none. */
  kept: z.string(),
  /** List calls made by all attempts so far. */
  listCalls: z.number().int().nonnegative(),
});
export type ScanCursor = z.infer<typeof ScanCursorSchema>;

/**
 * Per-device profile numbers (0 = none), up to 65,535 profiles: one byte a device while there are at most 255
 * profiles (devices in a handful of states and plans), two bytes otherwise.
 */
export class ProfileIndex {
  readonly of: Uint16Array;

  constructor(readonly capacity: number) {
    this.of = new Uint16Array(capacity);
  }

  static decode(capacity: number, encoded: string): ProfileIndex | undefined {
    const index = new ProfileIndex(capacity);
    if (encoded === '') return index;
    const bytes = Buffer.from(encoded, 'base64');
    if (bytes.length === capacity) index.of.set(bytes);
    else if (bytes.length === capacity * 2) for (let i = 0; i < capacity; i++) index.of[i] = bytes.readUInt16LE(i * 2);
    else return undefined;
    return index;
  }

  /** The encoding, or '' (nothing kept) when it would take more than `maxChars`. */
  encode(profiles: number, maxChars: number): string {
    const width = profiles <= 255 ? 1 : 2;
    if (Math.ceil((this.capacity * width) / 3) * 4 > maxChars) return '';
    if (width === 1) return Buffer.from(Uint8Array.from(this.of)).toString('base64');
    const bytes = Buffer.alloc(this.capacity * 2);
    for (let i = 0; i < this.capacity; i++) bytes.writeUInt16LE(this.of[i] as number, i * 2);
    return bytes.toString('base64');
  }
}

/** A fixed-size set of small integers that serialises compactly. */
export class BitSet {
  private readonly bits: Uint8Array;
  private count = 0;

  constructor(readonly capacity: number) {
    this.bits = new Uint8Array(Math.ceil(capacity / 8));
  }

  static decode(capacity: number, encoded: string): BitSet | undefined {
    const set = new BitSet(capacity);
    const bytes = Buffer.from(encoded, 'base64');
    if (bytes.length !== set.bits.length) return undefined;
    set.bits.set(bytes);
    for (let i = 0; i < capacity; i++) if (set.has(i)) set.count++;
    return set;
  }

  has(i: number): boolean {
    return ((this.bits[i >> 3] as number) & (1 << (i & 7))) !== 0;
  }

  add(i: number): void {
    if (this.has(i)) return;
    this.bits[i >> 3] = (this.bits[i >> 3] as number) | (1 << (i & 7));
    this.count++;
  }

  get size(): number {
    return this.count;
  }

  *values(): Iterable<number> {
    for (let i = 0; i < this.capacity; i++) if (this.has(i)) yield i;
  }

  encode(): string {
    return Buffer.from(this.bits).toString('base64');
  }
}
