/** Heartbeat timing, shared by the activities (which beat) and the workflows (which set the timeout). */

/** Temporal notices a dead worker within this long of its last heartbeat. */
export const HEARTBEAT_TIMEOUT = '20 seconds';
/** Well inside the timeout, so one late beat is not mistaken for a dead worker. */
export const HEARTBEAT_EVERY_MS = 5_000;
