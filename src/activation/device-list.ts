/**
 * Stored device lists: how a job of up to 1,000,000 devices names its devices without putting them in a Temporal
 * payload. A list is newline-delimited JSON, one job device per line (the items of the job request's `devices`),
 * gzipped or not; it lives in the blob store (src/storage) and the job names its key in `deviceList`. It is written
 * by `thingspace-activation devices upload`, by ActivationClient.startJob for a long list, or by any program that
 * can write a file or a PostgreSQL row. The rules of an inline list apply to the whole list, checked as it streams,
 * so neither the client nor the worker ever holds a million parsed devices to check them.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, gzipSync } from 'node:zlib';
import type { BlobStore } from '../storage/blob-store.js';
import { identifierKey } from '../thingspace/schemas/device-key.js';
import { formatIssue } from '../thingspace/schemas/format.js';
import { MAX_DEVICES_PER_LIST } from './job-limits.js';
import { JobDeviceSchema, type JobDevice } from './job.js';

export { MAX_DEVICES_PER_LIST };

/** Where uploaded lists live: the key names the content, so a list once stored never changes under a running job. */
export const DEVICE_LIST_PREFIX = 'device-lists/';
const MAX_PROBLEMS = 20;

/** One broken rule: where (`['devices', 3, 'deviceIds', 0, 'kind']`) and the whole sentence. */
export interface DeviceListProblem {
  path: PropertyKey[];
  text: string;
}

export class DeviceListError extends Error {
  override name = 'DeviceListError';
  constructor(
    readonly what: string,
    readonly problems: DeviceListProblem[],
  ) {
    super(`Invalid ${what}: ${problems.map((p) => p.text).join('; ')}`);
  }
}

/** zlib's fastest level: the list is written on the way to starting a job, by one thread, before any device moves. */
export function encodeDeviceList(devices: readonly unknown[]): Uint8Array {
  return gzipSync(devices.map((device) => JSON.stringify(device)).join('\n') + '\n', { level: 1 });
}

export function deviceListKey(encoded: Uint8Array): string {
  return `${DEVICE_LIST_PREFIX}${createHash('sha256').update(encoded).digest('hex')}`;
}

/**
 * The lines of a list, a chunk's worth at a time. readline's iterator, a promise per line, was about a fifth of what a
 * 200,000-device stage allocated (heap sampling); the chunks come from the gunzip stream, so a list is never held
 * whole as text.
 */
async function* lineBatches(data: Uint8Array): AsyncGenerator<string[]> {
  const gzipped = data[0] === 0x1f && data[1] === 0x8b;
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const chunks: AsyncIterable<Buffer> | Iterable<Buffer> = gzipped
    ? Readable.from([buffer]).pipe(createGunzip())
    : [buffer];
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + decoder.write(chunk);
    const batch = text.split('\n');
    rest = batch.pop() as string;
    yield batch;
  }
  rest += decoder.end();
  if (rest !== '') yield [rest];
}

/** The items of a stored list, unchecked (for a list that passed the job's rules when its job started). */
export async function decodeDeviceList(data: Uint8Array): Promise<unknown[]> {
  const items: unknown[] = [];
  for await (const batch of lineBatches(data)) {
    for (const line of batch) if (line.trim() !== '') items.push(JSON.parse(line));
  }
  return items;
}

/** 52 bits of an identifier key (two FNV-1a hashes): a sorted Float64Array of these finds repeats in 8 bytes each. */
function hash52(key: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}

/** The hash of one identifier as the repeat checks use it (kind and id normalised as identifierKey does). */
export function identifierHash(kind: string, id: string): number {
  return hash52(identifierKey(kind, id));
}

/**
 * The hashes that occur more than once: only identifiers with one of these can repeat, so only they need comparing
 * in full. 8 bytes per identifier while sorting, instead of a Map entry per identifier string.
 */
export function repeatedHashes(hashes: readonly number[]): Set<number> {
  const sorted = Float64Array.from(hashes).sort();
  const repeated = new Set<number>();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) repeated.add(sorted[i]!);
  return repeated;
}

export interface DeviceListRules {
  carrierIpPoolName?: string | undefined;
}

/** The rule a list with an address breaks without an IP pool, or undefined. */
export function ipPoolProblem(withAddress: boolean, rules: DeviceListRules): DeviceListProblem | undefined {
  if (!withAddress || rules.carrierIpPoolName !== undefined) return undefined;
  return {
    path: ['activation', 'carrierIpPoolName'],
    text: 'activation.carrierIpPoolName: carrierIpPoolName is required when any device has an ipAddress',
  };
}

/**
 * Reads the whole list and checks it with the job's rules: each device against JobDeviceSchema, no device twice
 * (by any identifier, as for an inline list), an IP pool when any device has an address, 1 to 1,000,000 devices.
 * `onDevice` sees each valid device in order (the stage writes parts with it). All problems are reported at once
 * (the first 20), naming `devices[i]` and the line. Returns the number of devices.
 */
export async function scanDeviceList(
  data: Uint8Array,
  rules: DeviceListRules,
  what: string,
  onDevice?: (device: JobDevice, index: number) => Promise<void> | void,
): Promise<number> {
  const problems: DeviceListProblem[] = [];
  const problem = (path: PropertyKey[], text: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ path, text });
  };
  const hashes: number[] = [];
  let withAddress = false;
  let index = 0;
  let lineNumber = 0;
  for await (const batch of lineBatches(data)) {
    for (const raw of batch) {
      lineNumber++;
      const line = raw.trim();
      if (line === '') continue;
      const i = index++;
      if (i >= MAX_DEVICES_PER_LIST) continue;
      let item: unknown;
      try {
        item = JSON.parse(line);
      } catch {
        problem(
          ['devices', i],
          `devices[${i}] (line ${lineNumber}): not JSON (one device object per line, as in "devices")`,
        );
        continue;
      }
      const parsed = JobDeviceSchema.safeParse(item);
      if (!parsed.success) {
        for (const issue of parsed.error.issues.slice(0, 3)) {
          const path = ['devices', i, ...issue.path];
          problem(path, `${formatIssue({ ...issue, path })} (line ${lineNumber})`);
        }
        continue;
      }
      const device = parsed.data;
      withAddress ||= device.ipAddress !== undefined;
      for (const { kind, id } of device.deviceIds) hashes.push(identifierHash(kind, id));
      if (problems.length > 0 || !onDevice) continue;
      // Awaited only when it returns a promise: most devices just join a part.
      const written = onDevice(device, i);
      if (written) await written;
    }
  }
  if (index === 0) problem(['devices'], 'devices: must contain at least 1 device');
  if (index > MAX_DEVICES_PER_LIST) {
    problem(['devices'], `devices: must contain at most ${MAX_DEVICES_PER_LIST} devices (the list has ${index})`);
  }
  const ipPool = ipPoolProblem(withAddress, rules);
  if (ipPool) problem(ipPool.path, ipPool.text);
  await findRepeats(data, hashes, what, problem);
  if (problems.length > 0) throw new DeviceListError(what, problems);
  return index;
}

/** Only identifiers whose hashes repeat are compared in full, on a second read, so a repeat is never a guess. */
async function findRepeats(
  data: Uint8Array,
  hashes: number[],
  what: string,
  problem: (path: PropertyKey[], text: string) => void,
) {
  const suspects = repeatedHashes(hashes);
  if (suspects.size === 0) return;
  const first = new Map<string, number>();
  let index = 0;
  for await (const batch of lineBatches(data)) {
    for (const raw of batch) {
      const line = raw.trim();
      if (line === '') continue;
      const i = index++;
      let item: unknown;
      try {
        item = JSON.parse(line);
      } catch {
        continue; // reported on the first read
      }
      const parsed = JobDeviceSchema.safeParse(item);
      if (!parsed.success) continue;
      for (const { kind, id } of parsed.data.deviceIds) {
        const key = identifierKey(kind, id);
        if (!suspects.has(hash52(key))) continue;
        const seen = first.get(key);
        if (seen !== undefined && seen !== i) {
          problem(['devices', i], `devices[${i}]: device repeats ${kind} of devices[${seen}] in ${what}`);
          break;
        }
        first.set(key, i);
      }
    }
  }
}

/** Checks a list with the job's rules and stores it; the key is what a job names in `deviceList`. */
export async function storeDeviceList(
  store: BlobStore,
  devices: readonly unknown[],
  rules: DeviceListRules,
  what: string,
): Promise<{ deviceList: string; devices: number }> {
  const encoded = encodeDeviceList(devices);
  const count = await scanDeviceList(encoded, rules, what);
  const deviceList = deviceListKey(encoded);
  await store.put(deviceList, encoded);
  return { deviceList, devices: count };
}
