/**
 * Waiting for something to happen in a workflow without sleeping: the server's long poll on the workflow's
 * history (`waitNewEvent`) answers as soon as a new event is written.
 */
import type { temporal } from '@temporalio/proto';
import type { TestTemporal } from './temporal.js';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The first event of the workflow's run (the latest run unless `runId` is given) that matches `predicate`. */
export async function nextEvent(
  { client, namespace }: Pick<TestTemporal, 'client' | 'namespace'>,
  workflowId: string,
  predicate: (event: HistoryEvent) => boolean,
  runId?: string,
): Promise<HistoryEvent> {
  let nextPageToken: Uint8Array | undefined;
  for (;;) {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace,
      execution: { workflowId, ...(runId && { runId }) },
      waitNewEvent: true,
      ...(nextPageToken && { nextPageToken }),
    });
    const found = page.history?.events?.find(predicate);
    if (found) return found;
    if (!page.nextPageToken?.length) throw new Error(`${workflowId} closed without the awaited event`);
    nextPageToken = page.nextPageToken;
  }
}

/** The workflow ID of the first child workflow `workflowId` starts, other than `except`. */
export async function nextChildStarted(
  temporal: Pick<TestTemporal, 'client' | 'namespace'>,
  workflowId: string,
  except?: string,
) {
  const childId = (e: HistoryEvent) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
  const event = await nextEvent(temporal, workflowId, (e) => {
    const id = childId(e);
    return id !== undefined && id !== null && id !== except;
  });
  return childId(event)!;
}
