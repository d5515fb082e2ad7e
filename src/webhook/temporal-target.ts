/**
 * Where batches go: the `callbacks` signal of `thingspace-request-<requestId>`. When that workflow does not exist
 * (the callback raced the activate answer, the answer was lost, our workers are down), the batch goes to the
 * request's inbox by signal-with-start, which records it durably in Temporal before ThingSpace gets its 2xx (see
 * src/workflows/inbox.ts). A batch for a request workflow that has already closed goes, the same way, to a late inbox
 * of that request, which keeps it (`lateFor`): ThingSpace gets its 2xx only once the callback is recorded somewhere.
 * Temporal answers NOT_FOUND for both "never existed" and "closed", hence the describe.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { CallbackRecord } from '../activation/model.js';
import type { callbackInbox } from '../workflows/inbox.js';
import { inboxWorkflowId } from '../workflows/inbox-id.js';
import { callbacksSignal, requestWorkflowId } from '../workflows/request-messages.js';

export type SendResult = 'signalled' | 'inboxed' | 'workflow_closed' | 'not_found';

export interface SignalTarget {
  /** Throws when Temporal cannot be reached or refuses for another reason. */
  send(requestId: string, records: CallbackRecord[]): Promise<SendResult>;
  /** Throws unless Temporal answers for the configured namespace. */
  ready(): Promise<void>;
  /** Workers Temporal saw polling the inboxes' task queue lately (absent for targets that are not Temporal). */
  workerPollers?(): Promise<number>;
}

export function temporalSignalTarget(client: Client, timeoutMs: number, taskQueue: string): SignalTarget {
  // The SDK retries UNAVAILABLE for tens of seconds; a deadline turns an outage into a prompt 503 instead.
  const within = <T>(fn: () => Promise<T>) => client.withDeadline(Date.now() + timeoutMs, fn);
  return {
    async send(requestId, records) {
      const handle = client.workflow.getHandle(requestWorkflowId(requestId));
      try {
        await within(() => handle.signal(callbacksSignal, records));
        return 'signalled';
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      let closed = false;
      try {
        const { status } = await within(() => handle.describe());
        // RUNNING here means it was started between the two calls: retrying delivers the batch.
        if (status.name === 'RUNNING') return 'not_found';
        closed = true;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      // An inbox still open (early callbacks, or forwarding to the request that just closed) takes the batch as it
      // is; otherwise a new one starts, late when its request has closed.
      await within(() =>
        client.workflow.signalWithStart<typeof callbackInbox, [CallbackRecord[]]>('callbackInbox', {
          workflowId: inboxWorkflowId(requestId),
          taskQueue,
          args: [{ requestId, ...(closed && { lateFor: handle.workflowId }) }],
          signal: callbacksSignal,
          signalArgs: [records],
        }),
      );
      return closed ? 'workflow_closed' : 'inboxed';
    },
    async ready() {
      await within(() => client.workflowService.describeNamespace({ namespace: client.options.namespace }));
    },
    async workerPollers() {
      const { pollers } = await within(() =>
        client.workflowService.describeTaskQueue({
          namespace: client.options.namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        }),
      );
      return pollers?.length ?? 0;
    },
  };
}
