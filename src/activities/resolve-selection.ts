/**
 * Resolves a device group and/or custom-field selection into the devices it names, through the list endpoint's own
 * filters, so the job can check and activate them in explicit requests like any device list.
 *
 * ThingSpace's activate call works "with all 4G devices in an account or device group", optionally only those
 * with given custom-field values: NB-IoT devices are therefore left out (counted) unless `includeNbIot`.
 * One call returns at most `maxDevices` devices and the cursor for the next call, so neither the activity result
 * nor its heartbeat grows with the group; within a call the heartbeat carries the page cursor, and a retry goes on
 * from it.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { DeviceId } from '../thingspace/schemas/device-key.js';
import type { ThingSpaceClient } from '../thingspace/client.js';
import { type CustomField, CustomFieldSchema } from '../thingspace/schemas/common.js';
import { type Device, deviceCursor, type DevicesListRequest, isNbIot } from '../thingspace/schemas/devices.js';
import { parseActivityInput } from './failures.js';
import { heartbeatProgress, inputFingerprint, resumedProgress } from './heartbeat.js';
import { ASSUMED_PAGE_SIZE } from './lookup-plan.js';

/** At most this many devices per call: 10,000 is one activate request; the default keeps results ~150 KB. */
export const MAX_RESOLVE_DEVICES = 10_000;
export const DEFAULT_RESOLVE_DEVICES = 2_000;

/** The list filters of a selection, shared by resolveSelection and storeSelection. */
export const selectionFilterShape = {
  accountName: z.string().min(1, { error: 'accountName must not be empty' }),
  groupName: z.string().min(1, { error: 'groupName must not be empty' }).optional(),
  customFields: z.array(CustomFieldSchema).min(1, { error: 'customFields must not be empty' }).optional(),
  includeNbIot: z.boolean().default(false),
};

/** A selection without either would be the whole account: too easy to do by mistake. */
export function namesGroupOrFields(input: { groupName?: string | undefined; customFields?: unknown }): boolean {
  return input.groupName !== undefined || input.customFields !== undefined;
}
export const NAMES_GROUP_OR_FIELDS = {
  error: 'groupName or customFields is required (a selection never means the whole account)',
  path: ['groupName'],
};

export const ResolveSelectionInputSchema = z
  .strictObject({
    ...selectionFilterShape,
    /** The previous call's `nextCursor`: go on after that device. */
    after: z.string().regex(/^\d+$/, { error: 'after must be a nextCursor (decimal digits)' }).optional(),
    maxDevices: z
      .number()
      .int()
      .positive()
      .max(MAX_RESOLVE_DEVICES, { error: `maxDevices must be at most ${MAX_RESOLVE_DEVICES}` })
      .default(DEFAULT_RESOLVE_DEVICES),
  })
  .refine(namesGroupOrFields, NAMES_GROUP_OR_FIELDS);
export type ResolveSelectionInput = z.input<typeof ResolveSelectionInputSchema>;

export interface ResolvedDevice {
  /** The device's own identifiers (IMEI, ICCID …, in that order), not line identifiers such as the MDN. */
  deviceIds: DeviceId[];
  nbIot?: true;
}

export interface ResolveSelectionResult {
  devices: ResolvedDevice[];
  /** Matching NB-IoT devices left out (0 with `includeNbIot`). */
  excludedNbIot: number;
  /** Pass as `after` for the next devices; absent when the selection is exhausted. */
  nextCursor?: string;
  /** List calls of this call, over every attempt. */
  listCalls: number;
}

const ResolveCursorSchema = z.object({
  v: z.literal(1),
  input: z.string(),
  /** `largestDeviceIdSeen` of the next page; absent before the first page. */
  next: z.string().optional(),
  devices: z.array(
    z.object({ deviceIds: z.array(z.object({ kind: z.string(), id: z.string() })), nbIot: z.literal(true).optional() }),
  ),
  excludedNbIot: z.number().int().nonnegative(),
  listCalls: z.number().int().nonnegative(),
});
type ResolveCursor = z.infer<typeof ResolveCursorSchema>;

/** Identifier kinds that name the device itself; the order activation lists them in. */
const DEVICE_KINDS = ['imei', 'iccid', 'eid', 'meid', 'esn'];

function deviceIdsOf(device: Device): DeviceId[] {
  return (device.deviceIds ?? [])
    .map((d) => ({ kind: d.kind.trim().toLowerCase(), id: d.id.trim() }))
    .filter((d) => d.id !== '' && DEVICE_KINDS.includes(d.kind))
    .sort((a, b) => DEVICE_KINDS.indexOf(a.kind) - DEVICE_KINDS.indexOf(b.kind));
}

export async function resolveSelection(
  client: ThingSpaceClient,
  rawInput: ResolveSelectionInput,
): Promise<ResolveSelectionResult> {
  const input = parseActivityInput('resolveSelection', ResolveSelectionInputSchema, rawInput);
  const fingerprint = inputFingerprint(input);
  const context = Context.current();
  const cursor: ResolveCursor = resumedProgress(ResolveCursorSchema, fingerprint) ?? {
    v: 1,
    input: fingerprint,
    ...(input.after !== undefined && { next: input.after }),
    devices: [],
    excludedNbIot: 0,
    listCalls: 0,
  };

  for (;;) {
    const remaining = input.maxDevices - cursor.devices.length;
    if (remaining <= 0) break;
    const page = await readSelectionPage(client, input, cursor.next, remaining, context.cancellationSignal);
    if (page === undefined) break;
    cursor.listCalls++;
    cursor.devices.push(...page.devices);
    cursor.excludedNbIot += page.excludedNbIot;
    if (page.next !== undefined) cursor.next = page.next;
    heartbeatProgress(cursor);
    if (page.stoppedEarly) return finish(cursor, cursor.next);
    if (!page.more) return finish(cursor, undefined);
  }
  return finish(cursor, cursor.next);
}

/** What both the paged resolution and storeSelection filter by. */
export interface SelectionFilter {
  accountName: string;
  groupName?: string | undefined;
  customFields?: CustomField[] | undefined;
  includeNbIot: boolean;
}

export interface SelectionPage {
  /** The page's devices taken, in list order (NB-IoT ones only with `includeNbIot`, flagged). */
  devices: ResolvedDevice[];
  /** Matching NB-IoT devices of the page left out. */
  excludedNbIot: number;
  /** The cursor after the last device taken: pass it as `after` for the next page. */
  next: string | undefined;
  /** The list announced more devices after this page. */
  more: boolean;
  /** `room` ran out before the page did: `next` points into the page. */
  stoppedEarly: boolean;
}

/**
 * One list call of the selection, after device `after`: at most `room` devices taken (an NB-IoT device left out
 * takes no room but still moves the cursor). Undefined when the list had no page at all.
 */
export async function readSelectionPage(
  client: ThingSpaceClient,
  filter: SelectionFilter,
  after: string | undefined,
  room: number,
  signal: AbortSignal,
): Promise<SelectionPage | undefined> {
  const request: DevicesListRequest = {
    accountName: filter.accountName,
    ...(filter.groupName !== undefined && { groupName: filter.groupName }),
    ...(filter.customFields !== undefined && { customFields: filter.customFields }),
    ...(after !== undefined && { largestDeviceIdSeen: after }),
    // Ask for no more than needed (NB-IoT devices left out may make this page fall short: the caller goes on).
    ...(room < ASSUMED_PAGE_SIZE && { maxNumberOfDevices: room }),
  };
  // One page per call of the generator: the caller records the cursor before asking for the next one.
  const pages = client.listDevicesPages(request, { signal });
  const { value: page, done } = await pages.next();
  await pages.return(undefined);
  if (done) return undefined;
  const result: SelectionPage = { devices: [], excludedNbIot: 0, next: after, more: page.more, stoppedEarly: false };
  for (const device of page.devices) {
    if (result.devices.length >= room) {
      result.stoppedEarly = true;
      break;
    }
    const next = deviceCursor(device);
    if (isNbIot(device) && !filter.includeNbIot) result.excludedNbIot++;
    else {
      const deviceIds = deviceIdsOf(device);
      if (deviceIds.length > 0) result.devices.push({ deviceIds, ...(isNbIot(device) && { nbIot: true as const }) });
    }
    if (next !== undefined) result.next = next;
  }
  if (!result.stoppedEarly && page.more && result.next === after) {
    // Without a moving cursor the next page would repeat this one forever.
    throw ApplicationFailure.nonRetryable(
      'selection: more devices announced but the page has no new DeviceId extended attribute',
      'ThingSpaceResponseError',
    );
  }
  return result;
}

function finish(cursor: ResolveCursor, nextCursor: string | undefined): ResolveSelectionResult {
  return {
    devices: cursor.devices,
    excludedNbIot: cursor.excludedNbIot,
    ...(nextCursor !== undefined && { nextCursor }),
    listCalls: cursor.listCalls,
  };
}
