/** Minimal workflows exercising one Temporal feature each, for probe-time-skipping.ts. */
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  ActivationPhase,
  DeviceCount,
  ThingSpaceAccount,
  ThingSpaceRequestIds,
} from '../../../src/search-attributes.js';

export const go = defineSignal<[string]>('go');
export const bump = defineUpdate<number, [number]>('bump');
export const state = defineQuery<{ got: string[]; n: number }>('state');

export async function child(x: string): Promise<string> {
  return `child:${x}`;
}

export async function parent(): Promise<string> {
  return executeChild(child, { args: ['a'], workflowId: `${workflowInfo().workflowId}-child` });
}

/** Waits for a signal 'go' (or an update making n ≥ 10) and answers queries throughout, also once closed. */
export async function waiter(): Promise<{ got: string[]; n: number }> {
  const s = { got: [] as string[], n: 0 };
  setHandler(go, (v) => void s.got.push(v));
  setHandler(bump, (by) => (s.n += by));
  setHandler(state, () => s);
  await condition(() => s.got.length > 0 || s.n >= 10);
  return s;
}

export async function signaler(target: string): Promise<void> {
  await getExternalWorkflowHandle(target).signal(go, 'external');
}

export async function looper(n: number): Promise<number> {
  if (n > 0) return continueAsNew<typeof looper>(n - 1);
  return workflowInfo().continuedFromExecutionRunId ? 1 : 0;
}

export async function upserter(): Promise<string> {
  upsertSearchAttributes([
    { key: ActivationPhase, value: 'polling' },
    { key: DeviceCount, value: 3 },
    { key: ThingSpaceAccount, value: 'acct' },
    { key: ThingSpaceRequestIds, value: ['r1', 'r2'] },
  ]);
  await sleep('1 minute');
  return 'ok';
}

/** A 12-hour timer, then a 15-minute condition timeout; returns workflow time elapsed. */
export async function sleeper(): Promise<number> {
  const start = Date.now();
  await sleep('12 hours');
  await condition(() => false, '15 minutes');
  return Date.now() - start;
}

const { slowActivity } = proxyActivities<{ slowActivity(ms: number): Promise<number> }>({
  startToCloseTimeout: '1 minute',
});

/** An activity that takes real time, then a 1-hour timer. */
export async function withActivity(ms: number): Promise<number> {
  const start = Date.now();
  await slowActivity(ms);
  await sleep('1 hour');
  return Date.now() - start;
}
