/**
 * The job's way into its account's `accountDevices` coordinator. Each call is an update-with-start: the first job of
 * an account creates the coordinator (on this worker's task queue), every later one reaches the running one. Keys go
 * 5,000 per update so no update nears Temporal's payload limit. Both activities are idempotent: a retried claim is
 * granted the same keys again (the coordinator treats a job's own keys as granted), a retried release frees nothing
 * more.
 */
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import {
  accountDevicesWorkflowId,
  claimDevicesUpdate,
  releaseDevicesUpdate,
  type accountDevices,
} from '../workflows/account-devices.js';
import { MAX_KEYS_PER_UPDATE } from '../workflows/device-claims.js';
import { withHeartbeat } from './heartbeat.js';
import type { ClaimDevicesInput, ClaimDevicesResult, ReleaseDevicesInput, ReleaseDevicesResult } from './types.js';

export interface ClaimActivitiesOptions {
  /** Where a new coordinator runs; defaults to the activity's own task queue (the worker's main queue). */
  taskQueue?: string;
  /** Tests only: appended to the coordinator's workflow ID (see `accountDevicesWorkflowId`). */
  coordinatorIdSuffix?: string;
}

export function createClaimActivities(client: Client, options: ClaimActivitiesOptions = {}) {
  async function send<Ret, Arg>(accountName: string, update: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
    const taskQueue = options.taskQueue ?? Context.current().info.taskQueue;
    try {
      return await client.workflow.executeUpdateWithStart(update, {
        args: [arg],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof accountDevices>('accountDevices', {
          workflowId: accountDevicesWorkflowId(accountName, options.coordinatorIdSuffix),
          taskQueue,
          workflowIdConflictPolicy: 'USE_EXISTING',
          args: [{ accountName }],
        }),
      });
    } catch (err) {
      // The coordinator refused the request (bad input): retrying cannot help. Connection errors stay retryable.
      if (err instanceof WorkflowUpdateFailedError) {
        throw ApplicationFailure.create({
          type: 'InvalidClaimRequest',
          message: err.cause?.message ?? err.message,
          nonRetryable: true,
        });
      }
      throw err;
    }
  }

  return {
    claimDevices: (input: ClaimDevicesInput): Promise<ClaimDevicesResult> =>
      withHeartbeat(async () => {
        checkAccountName(input.accountName);
        const taken: ClaimDevicesResult['taken'] = [];
        for (let start = 0; start < input.keys.length; start += MAX_KEYS_PER_UPDATE) {
          const keys = input.keys.slice(start, start + MAX_KEYS_PER_UPDATE);
          const result = await send(input.accountName, claimDevicesUpdate, {
            jobId: input.jobId,
            keys,
            until: input.until,
          });
          for (const { position, jobId } of result.taken) taken.push({ index: start + position, jobId });
        }
        return { taken };
      }),

    releaseDevices: (input: ReleaseDevicesInput): Promise<ReleaseDevicesResult> =>
      withHeartbeat(async () => {
        checkAccountName(input.accountName);
        if (input.keys === undefined) {
          return send(input.accountName, releaseDevicesUpdate, { jobId: input.jobId });
        }
        let released = 0;
        for (let start = 0; start < input.keys.length; start += MAX_KEYS_PER_UPDATE) {
          const keys = input.keys.slice(start, start + MAX_KEYS_PER_UPDATE);
          released += (await send(input.accountName, releaseDevicesUpdate, { jobId: input.jobId, keys })).released;
        }
        return { released };
      }),
  };
}

export type ClaimActivities = ReturnType<typeof createClaimActivities>;

function checkAccountName(accountName: unknown): void {
  if (typeof accountName !== 'string' || accountName.trim() === '') {
    throw ApplicationFailure.create({
      type: 'InvalidClaimRequest',
      message: 'accountName must be a non-empty string',
      nonRetryable: true,
    });
  }
}
