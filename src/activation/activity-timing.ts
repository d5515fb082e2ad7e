/** Heartbeat timing, shared by the activities (which beat) and the workflows (which set the timeout). */

/** Temporal notices a dead worker within this long of its last heartbeat. */
export const HEARTBEAT_TIMEOUT = '20 seconds';
/** Well inside the timeout, so one late beat is not mistaken for a dead worker. */
export const HEARTBEAT_EVERY_MS = 5_000;

/**
 * Workflow task timeout of jobs and requests (Temporal's default is 10 s). A request of 10,000 devices replays a
 * history of several MB after a cache eviction; on a starved CPU that took 11–15 s in the scale tests, and every
 * timed-out attempt replays again from scratch. A longer timeout lets the slow attempt finish instead.
 */
export const WORKFLOW_TASK_TIMEOUT = '1 minute';
