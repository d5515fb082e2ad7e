/** Runs activity functions in `MockActivityEnvironment`, recording heartbeats, against the real simulator. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { RunningSimulator } from '../../src/simulator/index.js';

export interface ActivityRun<R> {
  result: Promise<R>;
  /** Every heartbeat's details, in order. */
  heartbeats: unknown[];
  env: MockActivityEnvironment;
}

/**
 * Runs `fn` as an activity attempt; `heartbeatDetails` plays a retry after an attempt that heartbeated them.
 * `onHeartbeat` runs synchronously inside the activity's heartbeat call, so it can break the next ThingSpace call.
 */
export function runActivity<R>(
  fn: () => Promise<R>,
  options: { heartbeatDetails?: unknown; onHeartbeat?: (details: unknown, count: number) => void } = {},
): ActivityRun<R> {
  const env = new MockActivityEnvironment(
    { heartbeatDetails: options.heartbeatDetails, attempt: options.heartbeatDetails === undefined ? 1 : 2 },
    { logger: new DefaultLogger('WARN') },
  );
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => {
    heartbeats.push(details);
    options.onHeartbeat?.(details, heartbeats.length);
  });
  return { result: env.run(fn), heartbeats, env };
}

/** List calls the simulator served while `fn` ran. */
export async function countListCalls<R>(
  sim: RunningSimulator,
  fn: () => Promise<R>,
): Promise<{ value: R; calls: number }> {
  const before = sim.admin.listCalls();
  const value = await fn();
  return { value, calls: sim.admin.listCalls() - before };
}
