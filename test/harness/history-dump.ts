/**
 * Everything Temporal keeps about a set of workflows, as text: every run's history (inputs, results, signals,
 * failures, upserted search attributes) with each payload decoded through the product's data converter, plus the
 * memo and search attributes from describe(). What the secrets test searches.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { dataConverter } from '../../src/temporal/connection.js';
import { retrieveStoredPayloads } from '../../src/temporal/external-storage.js';

function isPayload(value: unknown): value is Payload {
  return (
    typeof value === 'object' &&
    value !== null &&
    'data' in value &&
    (value as Payload).data instanceof Uint8Array &&
    'metadata' in value
  );
}

async function decode(payload: Payload): Promise<unknown> {
  // A payload over the External Storage threshold is a reference in history: the secrets must be looked for in it too.
  let payloads = await retrieveStoredPayloads(dataConverter, [payload]);
  for (const codec of [...(dataConverter.payloadCodecs ?? [])].reverse()) payloads = await codec.decode(payloads);
  try {
    return defaultPayloadConverter.fromPayload(payloads[0]!);
  } catch {
    return Buffer.from(payloads[0]!.data ?? new Uint8Array()).toString('utf8');
  }
}

/** The value with every payload in it replaced by its decoded content, and bytes shown as text. */
async function decoded(value: unknown): Promise<unknown> {
  if (isPayload(value)) return { decodedPayload: await decode(value) };
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return Promise.all(value.map(decoded));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = await decoded(inner);
    return out;
  }
  return value;
}

export interface HistoryDump {
  runs: number;
  events: number;
  text: string;
}

/** All runs (continue-as-new included) of each workflow ID. */
export async function dumpWorkflows(client: Client, workflowIds: readonly string[]): Promise<HistoryDump> {
  const parts: string[] = [];
  let runs = 0;
  let events = 0;
  for (const workflowId of workflowIds) {
    for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      runs++;
      const handle = client.workflow.getHandle(workflowId, execution.runId);
      const history = await handle.fetchHistory();
      events += history.events?.length ?? 0;
      parts.push(JSON.stringify(await decoded(history)));
      const description = await handle.describe();
      parts.push(JSON.stringify({ memo: description.memo, searchAttributes: description.searchAttributes }));
      parts.push(JSON.stringify(await decoded(description.raw.workflowExecutionInfo)));
    }
  }
  return { runs, events, text: parts.join('\n') };
}
