/**
 * Which stored objects a workflow Temporal still keeps may need: the keys its payloads name. A reference of External
 * Storage names `payloads/<sha256>`; a job's input names its device list, a part job's its part, a stage result
 * every part, a selection job its stored selection. An object written after a workflow started cannot be older than
 * that workflow, so for the workflows started after the prune's cutoff only the first event (the input) is read; the
 * histories of the older ones, running or closed but still retained, are read whole.
 */
import type { Client } from '@temporalio/client';
import { METADATA_ENCODING_KEY, type PayloadCodec } from '@temporalio/common';
import { payloadsIn } from '../temporal/history-payloads.js';

/** A store key as the product writes them (BLOB_KEY_PATTERN, under the prefixes in use). */
const STORE_KEY = /(?:payloads|device-lists|job-parts|job-selections)(?:\/[A-Za-z0-9][A-Za-z0-9._@:-]{0,199}){1,7}/g;

/** What the payload converters write; anything else is still encoded. */
const READABLE_ENCODINGS = new Set(['binary/null', 'binary/plain', 'json/plain', 'json/protobuf', 'binary/protobuf']);

export interface KeysInUse {
  keys: Set<string>;
  /** Workflow runs looked at, and of those the ones read whole. */
  runs: number;
  wholeHistories: number;
}

export class UnreadablePayloadError extends Error {
  override name = 'UnreadablePayloadError';
}

export async function keysInUse(
  client: Client,
  codecs: readonly PayloadCodec[],
  cutoff: Date,
  onProgress: (runs: number) => void = () => {},
): Promise<KeysInUse> {
  const found: KeysInUse = { keys: new Set(), runs: 0, wholeHistories: 0 };
  const { namespace } = client.options;
  for await (const run of client.workflow.list()) {
    let history: unknown;
    if (run.startTime < cutoff) {
      history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      found.wholeHistories++;
    } else {
      const page = await client.workflowService.getWorkflowExecutionHistory({
        namespace,
        execution: { workflowId: run.workflowId, runId: run.runId },
        maximumPageSize: 1,
      });
      history = page.history?.events?.[0];
    }
    let decoded = payloadsIn(history);
    try {
      for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
    } catch (err) {
      throw new UnreadablePayloadError(
        `cannot read the payloads of workflow ${run.workflowId} (run ${run.runId}): ${(err as Error).message}; ` +
          'run this with the settings the workers have (the encryption keys)',
      );
    }
    for (const payload of decoded) {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      const name = encoding ? Buffer.from(encoding).toString() : undefined;
      // Keys inside a payload these codecs could not open (encrypted, say, with no keys given) are invisible: the
      // objects they name would look unused.
      if (name !== undefined && !READABLE_ENCODINGS.has(name)) {
        throw new UnreadablePayloadError(
          `cannot read a payload of workflow ${run.workflowId} (run ${run.runId}) encoded as ${name}; ` +
            'run this with the settings the workers have (the encryption keys)',
        );
      }
      if (!payload.data) continue;
      for (const key of Buffer.from(payload.data).toString('latin1').match(STORE_KEY) ?? []) found.keys.add(key);
    }
    found.runs++;
    onProgress(found.runs);
  }
  return found;
}
