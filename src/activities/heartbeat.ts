import { Context } from '@temporalio/activity';
import { HEARTBEAT_EVERY_MS } from '../activation/activity-timing.js';

/**
 * Heartbeats while `fn` runs, so a worker killed in the middle of a slow ThingSpace call is noticed in seconds
 * rather than at the activity's start-to-close timeout, and so a cancellation reaches the activity.
 */
export async function withHeartbeat<T>(fn: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
