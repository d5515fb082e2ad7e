/**
 * Where batches go: the `callbacks` signal of `thingspace-request-<requestId>`. Tells "not there yet" (retry: the
 * callback raced the activate response) from "already closed" (acknowledge: nothing is left to update), because
 * Temporal answers NOT_FOUND for both.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CallbackRecord } from '../activation/model.js';
import { callbacksSignal, requestWorkflowId } from '../workflows/request.js';

export type SendResult = 'signalled' | 'workflow_closed' | 'not_found';

export interface SignalTarget {
  /** Throws when Temporal cannot be reached or refuses for another reason. */
  send(requestId: string, records: CallbackRecord[]): Promise<SendResult>;
  /** Throws unless Temporal answers for the configured namespace. */
  ready(): Promise<void>;
}

export function temporalSignalTarget(client: Client, timeoutMs: number): SignalTarget {
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
      try {
        const { status } = await within(() => handle.describe());
        // RUNNING here means it was started between the two calls: retrying delivers the batch.
        return status.name === 'RUNNING' ? 'not_found' : 'workflow_closed';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return 'not_found';
        throw err;
      }
    },
    async ready() {
      await within(() => client.workflowService.describeNamespace({ namespace: client.options.namespace }));
    },
  };
}
