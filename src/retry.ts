/**
 * Retrying what a finished job left over: the devices it ended failed, unresolved or unconfirmed become a new job
 * with the same account, activation settings and options, linked to the first through its memo. The new job checks
 * device states as any job does, so a device activated in the meantime is skipped rather than activated twice.
 */
import { z } from 'zod';
import type { JobRequestInput } from './activation/job.js';
import type { DeviceReport } from './activation/model.js';
import { deviceKey } from './thingspace/schemas/device-key.js';

/** Outcomes a retry may pick; `unconfirmed` is an activate answer lost with no sign that ThingSpace acted. */
export const RETRYABLE_OUTCOMES = ['failed', 'unresolved', 'unconfirmed'] as const;
export const RetryOutcomesSchema = z
  .array(z.enum(RETRYABLE_OUTCOMES, { error: `outcomes may only be ${RETRYABLE_OUTCOMES.join(', ')}` }))
  .min(1, { error: 'outcomes must name at least one of failed, unresolved, unconfirmed' });
export type RetryOutcome = (typeof RETRYABLE_OUTCOMES)[number];

/** The memo of a retry job: which job it retries and for which outcomes (how "the same retry" is recognised). */
export const RetryMemoSchema = z.object({ retryOf: z.string(), retryOutcomes: z.array(z.string()) });
export type RetryMemo = z.infer<typeof RetryMemoSchema>;

/** Why a retry was not started: the job is not finished, or has nothing to retry. */
export class RetryRefusedError extends Error {
  override name = 'RetryRefusedError';
}

/** Retry job IDs: `<jobId>-retry-1`, `-retry-2` …; the number grows only for a different choice of outcomes. */
export function retryJobId(jobId: string, n: number): string {
  return `${jobId}-retry-${n}`;
}

/** The same outcomes in one order, so `failed,unresolved` and `unresolved,failed` are one and the same retry. */
export function canonicalOutcomes(outcomes: readonly string[]): string[] {
  return RETRYABLE_OUTCOMES.filter((o) => outcomes.includes(o));
}

/**
 * The first job's devices (as it was asked, nbIot and ipAddress included) whose reported outcome is among
 * `outcomes`, in the first job's order. `report`: its pages, or the result's list when that holds them all.
 */
export async function devicesToRetry(
  original: JobRequestInput,
  report: AsyncIterable<DeviceReport[]> | Iterable<DeviceReport[]>,
  outcomes: readonly string[],
): Promise<NonNullable<JobRequestInput['devices']>> {
  // Devices the job was given keep their settings (IP address, NB-IoT) and their order; ones a group or
  // custom-field selection resolved come from the report, which names them by their identifiers, after them.
  const wanted = new Map<string, DeviceReport>();
  for await (const page of report) for (const row of page) if (outcomes.includes(row.outcome)) wanted.set(row.key, row);
  const devices: NonNullable<JobRequestInput['devices']> = [];
  for (const device of original.devices ?? []) {
    const key = deviceKey(device.deviceIds) ?? '';
    if (wanted.delete(key)) devices.push(device);
  }
  for (const row of wanted.values()) devices.push({ deviceIds: row.deviceIds });
  return devices;
}
