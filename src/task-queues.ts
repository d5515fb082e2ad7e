/** Task queue names, shared by workers, workflows and clients (pure: the workflow bundle imports it). */
export const DEFAULT_TASK_QUEUE = 'thingspace-activation';

/** Activate calls run here, on a queue whose server-side rate limit keeps the deployment under ThingSpace's cap. */
export function submitTaskQueue(taskQueue: string): string {
  return `${taskQueue}.activate`;
}

/**
 * The login guard workflows run here, whatever TASK_QUEUE a deployment uses: the lockout belongs to the ThingSpace
 * username, so every worker that may log in with it must be able to serve its guard (also after a queue rename).
 */
export const LOGIN_GUARD_TASK_QUEUE = 'thingspace-login-guard';

/**
 * The claims coordinators (one per account) run here, on a worker of their own: a coordinator of a million-device
 * job holds megabytes of history, and in the main queue's cache it was evicted by request workflows and replayed.
 */
export function coordinatorTaskQueue(taskQueue: string): string {
  return `${taskQueue}.coordinators`;
}
