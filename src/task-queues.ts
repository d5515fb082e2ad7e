/** Task queue names, shared by workers, workflows and clients (pure: the workflow bundle imports it). */
export const DEFAULT_TASK_QUEUE = 'thingspace-activation';

/** Activate calls run here, on a queue whose server-side rate limit keeps the deployment under ThingSpace's cap. */
export function submitTaskQueue(taskQueue: string): string {
  return `${taskQueue}.activate`;
}
