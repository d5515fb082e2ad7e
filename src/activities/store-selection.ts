/**
 * A selection job's devices written to the store as one device list (the job's listed devices first, then the
 * selected devices not already listed), so that a selection of up to MAX_DEVICES_PER_LIST devices goes through the
 * same staging and part jobs as a stored list and no workflow ever holds its devices.
 *
 * Memory stays bounded at a million devices by working in two steps:
 * 1. The selection is paged through the list endpoint's filters (readSelectionPage, as resolveSelection does) and
 *    written as it comes, in chunks of about `chunkDevices` devices under the job's key. After each chunk the
 *    heartbeat carries the list cursor and the chunks written, so a retry goes on after the last chunk.
 * 2. The chunks are read back (one at a time) to drop any device named by an identifier of a device before it,
 *    found as device-list.ts finds repeats: one 8-byte hash per identifier, and only identifiers whose hashes repeat
 *    compared in full. The list is the listed devices followed by the chunks; gzip members concatenate into one
 *    gzip stream, so a chunk with nothing dropped is copied as it is.
 * Keys derive from the job ID, so a retry writes the same objects again.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { decodeDeviceList, encodeDeviceList, identifierHash, repeatedHashes } from '../activation/device-list.js';
import type { JobSelectionSummary } from '../activation/job-result.js';
import { MAX_DEVICES_PER_LIST, SELECTION_TOO_LARGE } from '../activation/job-limits.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ThingSpaceClient } from '../thingspace/client.js';
import { type DeviceId, identifierKey } from '../thingspace/schemas/device-key.js';
import { parseActivityInput } from './failures.js';
import { heartbeatProgress, inputFingerprint, resumedProgress } from './heartbeat.js';
import {
  NAMES_GROUP_OR_FIELDS,
  namesGroupOrFields,
  readSelectionPage,
  type ResolvedDevice,
  selectionFilterShape,
} from './resolve-selection.js';

/** Selected devices per stored chunk: a retry repeats at most the list calls of one chunk. */
export const SELECTION_CHUNK_DEVICES = 10_000;

export const StoreSelectionInputSchema = z
  .strictObject({
    jobId: z.string().min(1, { error: 'jobId must not be empty' }),
    ...selectionFilterShape,
    /**
     * The job's listed devices, as the job request has them (already checked by it): written first, with their
     * settings; a selected device that any of them names is not written again.
     */
    devices: z.array(z.looseObject({ deviceIds: z.array(z.object({ kind: z.string(), id: z.string() })) })).default([]),
  })
  .refine(namesGroupOrFields, NAMES_GROUP_OR_FIELDS);
export type StoreSelectionInput = z.input<typeof StoreSelectionInputSchema>;

export interface StoredSelection {
  /** The store key of the job's device list (listed plus selected), for stageDeviceList. */
  deviceList: string;
  /** Devices in it. */
  total: number;
  selection: JobSelectionSummary;
}

const StoreCursorSchema = z.object({
  v: z.literal(1),
  input: z.string(),
  /** `largestDeviceIdSeen` of the next page; absent before the first page. */
  next: z.string().optional(),
  /** The selection has no page after `next`: only step 2 is left. */
  exhausted: z.boolean(),
  /** Chunks written (1 … chunks), and the selected devices in them. */
  chunks: z.number().int().nonnegative(),
  selected: z.number().int().nonnegative(),
  excludedNbIot: z.number().int().nonnegative(),
  listCalls: z.number().int().nonnegative(),
});
type StoreCursor = z.infer<typeof StoreCursorSchema>;

/**
 * What a heartbeat carries: the cursor (what a retry resumes from: chunks written) and, for operators, how far the
 * pages have got, unwritten ones included (`status` shows it while the job resolves).
 */
const StoreHeartbeatSchema = StoreCursorSchema.extend({
  soFar: z.object({ selected: z.number(), excludedNbIot: z.number(), listCalls: z.number() }).optional(),
});

/** The selection so far, from a running storeSelection's last heartbeat; undefined for anything else. */
export function selectionSoFar(details: unknown): JobSelectionSummary | undefined {
  const parsed = StoreHeartbeatSchema.safeParse(details);
  if (!parsed.success) return undefined;
  const { selected, excludedNbIot, listCalls } = parsed.data.soFar ?? parsed.data;
  return { resolved: selected, excludedNbIot, alsoListed: 0, listCalls };
}

/** The job's device list; `~` never occurs in a selection job's ID (only part jobs have it), so the key is valid. */
export function selectionListKey(jobId: string): string {
  return `job-selections/${jobId}/devices`;
}

function chunkKey(jobId: string, chunk: number): string {
  return `job-selections/${jobId}/selected-${chunk}`;
}

export interface StoreSelectionLimits {
  /** Devices the job may hold, listed plus selected (tests lower it). */
  maxDevices?: number;
  chunkDevices?: number;
}

export async function storeSelection(
  client: ThingSpaceClient,
  store: BlobStore,
  rawInput: StoreSelectionInput,
  { maxDevices = MAX_DEVICES_PER_LIST, chunkDevices = SELECTION_CHUNK_DEVICES }: StoreSelectionLimits = {},
): Promise<StoredSelection> {
  const input = parseActivityInput('storeSelection', StoreSelectionInputSchema, rawInput);
  const fingerprint = inputFingerprint(input);
  const signal = Context.current().cancellationSignal;
  const tooLarge = () =>
    ApplicationFailure.nonRetryable(
      `selection: a job holds at most ${maxDevices} devices (listed plus selected), and this selection has more; ` +
        'narrow it with customFields or split it into several jobs',
      SELECTION_TOO_LARGE,
    );

  // Step 1: page through the selection, a chunk at a time; `done` is what the store holds, `buffer` what comes next.
  const done: StoreCursor = resumedProgress(StoreCursorSchema, fingerprint) ?? {
    v: 1,
    input: fingerprint,
    exhausted: false,
    chunks: 0,
    selected: 0,
    excludedNbIot: 0,
    listCalls: 0,
  };
  // Heartbeats between chunks repeat this: a bare one would erase what a resumed attempt started from.
  heartbeatProgress(done);
  let buffer: ResolvedDevice[] = [];
  const next = { ...done };
  const flush = async () => {
    if (buffer.length > 0) {
      next.chunks++;
      await store.put(chunkKey(input.jobId, next.chunks), encodeDeviceList(buffer));
      buffer = [];
    }
    Object.assign(done, next);
    heartbeatProgress(done);
  };
  while (!next.exhausted) {
    const page = await readSelectionPage(client, input, next.next, Infinity, signal);
    if (page !== undefined) {
      next.listCalls++;
      buffer.push(...page.devices);
      next.selected += page.devices.length;
      next.excludedNbIot += page.excludedNbIot;
      if (page.next !== undefined) next.next = page.next;
      // The list names each device once: more selected devices than the limit can never fit, whatever is listed.
      if (next.selected > maxDevices) throw tooLarge();
    }
    next.exhausted = page === undefined || !page.more;
    if (next.exhausted || buffer.length >= chunkDevices) await flush();
    else {
      const { selected, excludedNbIot, listCalls } = next;
      heartbeatProgress({ ...done, soFar: { selected, excludedNbIot, listCalls } });
    }
  }

  // Step 2: the listed devices, then each chunk without the devices named before.
  const listed = input.devices;
  const chunks = Array.from({ length: done.chunks }, (_, i) => chunkKey(input.jobId, i + 1));
  const hashes: number[] = [];
  const hashAll = (deviceIds: readonly DeviceId[]) => {
    for (const { kind, id } of deviceIds) hashes.push(identifierHash(kind, id));
  };
  for (const device of listed) hashAll(device.deviceIds);
  for (const key of chunks) for (const device of await readChunk(store, key)) hashAll(device.deviceIds);
  const suspects = repeatedHashes(hashes);
  hashes.length = 0;

  // Full keys only of identifiers whose hash repeats: a handful, not one per identifier.
  const seen = new Set<string>();
  const suspectKeys = (deviceIds: readonly DeviceId[]) =>
    deviceIds.filter(({ kind, id }) => suspects.has(identifierHash(kind, id))).map((d) => identifierKey(d.kind, d.id));
  for (const device of listed) for (const key of suspectKeys(device.deviceIds)) seen.add(key);
  const parts: Uint8Array[] = listed.length > 0 ? [encodeDeviceList(listed)] : [];
  let alsoListed = 0;
  for (const key of chunks) {
    const data = await store.get(key);
    if (suspects.size === 0) {
      parts.push(data);
      continue;
    }
    const devices = await readChunk(store, key, data);
    const kept = devices.filter((device) => {
      const keys = suspectKeys(device.deviceIds);
      // Named before (listed, or, were the list ever to repeat a device, selected earlier): in the job already.
      if (keys.some((k) => seen.has(k))) {
        alsoListed++;
        return false;
      }
      for (const k of keys) seen.add(k);
      return true;
    });
    parts.push(kept.length === devices.length ? data : encodeDeviceList(kept));
  }
  const total = listed.length + done.selected - alsoListed;
  if (total > maxDevices) throw tooLarge();
  const deviceList = selectionListKey(input.jobId);
  await store.put(deviceList, Buffer.concat(parts));
  return {
    deviceList,
    total,
    selection: {
      resolved: done.selected,
      excludedNbIot: done.excludedNbIot,
      alsoListed,
      listCalls: done.listCalls,
    },
  };
}

async function readChunk(store: BlobStore, key: string, data?: Uint8Array): Promise<ResolvedDevice[]> {
  return (await decodeDeviceList(data ?? (await store.get(key)))) as ResolvedDevice[];
}
