/** Job limits as plain constants, so workflow code can import them without zod. */
import { MAX_DEVICES_PER_ACTIVATE } from '../thingspace/schemas/limits.js';

/**
 * Devices listed inline in a job request (`devices`). Longer lists are stored and named (`deviceList`):
 * ActivationClient does it by itself above INLINE_DEVICES_MAX, other callers upload them first.
 */
export const MAX_DEVICES_PER_JOB = 50_000;

/** What the TypeScript client still sends inline; a longer list goes to the store (~1 MB of JSON at most inline). */
export const INLINE_DEVICES_MAX = 10_000;

/**
 * Devices in a stored list: ThingSpace's own ceiling for one account in one minute (100 requests × 10,000). Also the
 * bound of a selection job (listed plus selected devices), which the job stores as a list of its own.
 */
export const MAX_DEVICES_PER_LIST = 1_000_000;

/**
 * A stored list longer than this is split into part jobs of this size, each a job of its own (checks, claims, one
 * request, a report), so no workflow ever holds more than one part's devices.
 */
export const DEVICES_PER_PART = 10_000;

/**
 * Activate requests one job workflow (a job, or a part of a big one) makes at most. Each is an activity, a child
 * workflow and its result in the job's history, about 13 events, and its child stays pending for up to a day: a
 * part of 500 one-device requests came to 6,575 events (test/scale/small-requests.test.ts), under Temporal's warning
 * at 10,240, with 500 pending children of the 2,000 allowed. By the same count, a part of 10,000 one-device requests
 * would pass both of Temporal's limits (2,000 pending children, 51,200 events).
 */
export const MAX_REQUESTS_PER_JOB = 500;

/** Parts of a stored list at most: the parts of a 1,000,000-device list at DEVICES_PER_PART. */
export const MAX_PARTS = 100;

/**
 * Devices in each part of a stored list whose requests hold `maxDevicesPerRequest` devices: DEVICES_PER_PART, or
 * fewer when small requests would make a part send more than MAX_REQUESTS_PER_JOB of them.
 */
export function devicesPerPart(maxDevicesPerRequest: number = MAX_DEVICES_PER_ACTIVATE): number {
  return Math.min(DEVICES_PER_PART, MAX_REQUESTS_PER_JOB * maxDevicesPerRequest);
}

/**
 * The smallest `maxDevicesPerRequest` that sends `devices` devices in at most `requests` activate requests (by
 * default, what one job sends).
 */
export function smallestRequestSize(devices: number, requests: number = MAX_REQUESTS_PER_JOB): number {
  return Math.ceil(devices / requests);
}

/**
 * Whether a job of `devices` listed devices cannot carry them inline: too long a list for a payload, or more
 * requests than one job makes. Stored, the list runs in parts (see devicesPerPart); the TypeScript client and the CLI
 * store such lists by themselves.
 */
export function needsStoredList(devices: number, maxDevicesPerRequest: number = MAX_DEVICES_PER_ACTIVATE): boolean {
  // Before validation: a bad size is left for the job's rules to name, not taken as a reason to store.
  const valid = Number.isInteger(maxDevicesPerRequest) && maxDevicesPerRequest >= 1;
  return devices > INLINE_DEVICES_MAX || (valid && maxDevicesPerRequest < smallestRequestSize(devices));
}

/**
 * Part jobs checking or submitting at once; the others wait, so a worker holds only a few parts' devices. Two keep
 * the submissions ahead of what callbacks can be taken, and leave room in the worker's workflow cache for the requests
 * taking callbacks (issue 12 notes in bench/RESULTS.md); jobs started before ran four (LEGACY_PARTS_IN_FLIGHT).
 */
export const PARTS_IN_FLIGHT = 2;
export const LEGACY_PARTS_IN_FLIGHT = 4;

/**
 * Devices one resolveSelection call returns to the job: ~375 KB of activity result, under the 512 KB warning. Only
 * selection jobs started before the 'selection-staged' patch resolve page by page into workflow memory (and stop at
 * MAX_DEVICES_PER_JOB); later ones go through storeSelection.
 */
export const SELECTION_DEVICES_PER_CALL = 5_000;

/** The failure type of a selection job refused for holding too many devices (listed plus selected). */
export const SELECTION_TOO_LARGE = 'SelectionTooLarge';
