import { ApplicationFailure } from '@temporalio/common';
import { JobRequestSchema } from '../activation/job.js';
import { formatZodError } from '../thingspace/schemas/format.js';

export const INVALID_JOB_REQUEST = 'InvalidJobRequest';

/**
 * Checks a job request against the published schema. Runs as a local activity at the start of the job workflow,
 * so callers in any language get the same refusal, naming each field and rule, before anything is sent.
 */
export async function validateJobRequest(input: unknown): Promise<{ devices: number }> {
  const parsed = JobRequestSchema.safeParse(input);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(
      `Invalid job request: ${formatZodError(parsed.error, 20)}`,
      INVALID_JOB_REQUEST,
      parsed.error.issues.slice(0, 100).map(({ path, message }) => ({ path: path.map(String), message })),
    );
  }
  return { devices: parsed.data.devices?.length ?? 0 };
}
