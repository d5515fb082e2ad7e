/** The inbox's workflow ID, apart from the workflow so that the webhook can use it without importing workflow code. */
export function inboxWorkflowId(requestId: string): string {
  return `thingspace-inbox-${requestId}`;
}
