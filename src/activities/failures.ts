import { ApplicationFailure } from '@temporalio/common';
import { ThingSpaceError } from '../thingspace/errors.js';
import type { z } from 'zod';
import { formatZodError } from '../thingspace/schemas/format.js';

/**
 * Turns a ThingSpace error into the failure Temporal's retry policy acts on: retryable ones are retried (after
 * `Retry-After` when ThingSpace gave one), the others fail the activity at once. Messages are already redacted.
 */
export function toActivityFailure(err: unknown): unknown {
  if (!(err instanceof ThingSpaceError)) return err;
  return ApplicationFailure.create({
    message: err.message,
    type: err.name,
    nonRetryable: !err.retryable,
    details: [err.toJSON()],
    ...(err.retryAfterMs !== undefined && { nextRetryDelay: err.retryAfterMs }),
  });
}

/** Runs a read-only ThingSpace activity body, translating its errors for Temporal. */
export async function withThingSpaceFailures<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toActivityFailure(err);
  }
}

/** An activity's input checked with its schema; a bad one fails the activity for good, naming each field and rule. */
export function parseActivityInput<S extends z.ZodType>(activity: string, schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(
      `${activity}: invalid input: ${formatZodError(parsed.error)}`,
      'InvalidInput',
    );
  }
  return parsed.data;
}
