/** Job limits as plain constants, so workflow code can import them without zod. */

/**
 * Devices listed inline in a job request (`devices`). Longer lists are stored and named (`deviceList`):
 * ActivationClient does it by itself above INLINE_DEVICES_MAX, other callers upload them first.
 */
export const MAX_DEVICES_PER_JOB = 50_000;

/** What the TypeScript client still sends inline; a longer list goes to the store (~1 MB of JSON at most inline). */
export const INLINE_DEVICES_MAX = 10_000;

/** Devices in a stored list: ThingSpace's own ceiling for one account in one minute (100 requests × 10,000). */
export const MAX_DEVICES_PER_LIST = 1_000_000;

/**
 * A stored list longer than this is split into part jobs of this size, each a job of its own (checks, claims, one
 * request, a report), so no workflow ever holds more than one part's devices.
 */
export const DEVICES_PER_PART = 10_000;

/** Part jobs checking or submitting at once; the others wait, so a worker holds only a few parts' devices. */
export const PARTS_IN_FLIGHT = 4;

/** Devices one resolveSelection call returns to the job: ~375 KB of activity result, under the 512 KB warning. */
export const SELECTION_DEVICES_PER_CALL = 5_000;

/** The failure type of a selection job refused for holding too many devices (listed plus selected). */
export const SELECTION_TOO_LARGE = 'SelectionTooLarge';
