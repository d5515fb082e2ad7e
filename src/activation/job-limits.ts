/** Job limits as plain constants, so workflow code can import them without zod. */

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
