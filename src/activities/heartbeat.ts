import { Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { HEARTBEAT_EVERY_MS } from '../activation/activity-timing.js';

/** The progress each running activity last reported, so the liveness heartbeat repeats it instead of erasing it. */
const lastProgress = new WeakMap<Context, unknown>();

/**
 * Reports progress that a retry of this activity reads back from `Context.current().info.heartbeatDetails`.
 * Temporal keeps only the latest heartbeat's details, so every heartbeat of the activity must carry them.
 */
export function heartbeatProgress(details: unknown): void {
  const context = Context.current();
  lastProgress.set(context, details);
  context.heartbeat(details);
}

/** A short digest of an activity's input: progress is only resumed by an attempt with the same input. */
export function inputFingerprint(input: unknown): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('base64url').slice(0, 22);
}

/** What the last attempt heartbeated, if it reads as `schema` and was written for the same input (`fingerprint`). */
export function resumedProgress<T extends { input: string }>(schema: z.ZodType<T>, fingerprint: string): T | undefined {
  const previous = schema.safeParse(Context.current().info.heartbeatDetails);
  return previous.success && previous.data.input === fingerprint ? previous.data : undefined;
}

/**
 * Heartbeats while `fn` runs, so a worker killed in the middle of a slow ThingSpace call is noticed in seconds
 * rather than at the activity's start-to-close timeout, and so a cancellation reaches the activity. It repeats the
 * last progress reported through `heartbeatProgress`: a bare heartbeat would replace that with nothing.
 */
export async function withHeartbeat<T>(fn: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(lastProgress.get(context)), HEARTBEAT_EVERY_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
