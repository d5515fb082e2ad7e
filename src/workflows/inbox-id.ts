/** The inbox's workflow ID, apart from the workflow so that the webhook can use it without importing workflow code. */
export function inboxWorkflowId(requestId: string): string {
  return `thingspace-inbox-${requestId}`;
}

/** Visibility query for the inboxes still open (unclaimed ones wait for a claimant; claimed ones forward). */
export const OPEN_INBOXES_QUERY = `WorkflowType = 'callbackInbox' AND ExecutionStatus = 'Running'`;

/** Visibility query for the late inboxes still holding callbacks (see `lateFor` in src/workflows/inbox.ts). */
export const LATE_INBOXES_QUERY = `${OPEN_INBOXES_QUERY} AND ActivationPhase = 'inbox-late'`;
