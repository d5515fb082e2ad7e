/** Job limits as plain constants, so workflow code can import them without zod. */

/** Jobs beyond this are better split by the caller; it keeps one job's history well inside Temporal's limits. */
export const MAX_DEVICES_PER_JOB = 50_000;

/** Devices one resolveSelection call returns to the job: ~375 KB of activity result, under the 512 KB warning. */
export const SELECTION_DEVICES_PER_CALL = 5_000;
