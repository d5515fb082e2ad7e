import { jest } from '@jest/globals';
import type { Client } from '@temporalio/client';

/**
 * Runs `read` and returns what it returned with the IDs of the workflows it queried, in order: a query on a workflow
 * the worker has not cached replays its whole history, so a reader that should not replay shows here.
 */
export async function withQueriedIds<T>(
  client: Client,
  read: () => Promise<T>,
): Promise<{ value: T; queried: string[] }> {
  const queries = jest.spyOn(client.workflowService, 'queryWorkflow');
  try {
    const value = await read();
    return { value, queried: queries.mock.calls.map(([request]) => request.execution?.workflowId ?? '') };
  } finally {
    queries.mockRestore();
  }
}
