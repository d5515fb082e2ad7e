import type { Client } from '@temporalio/client';
import { ActivationClient } from '../client.js';
import { DEFAULT_TASK_QUEUE } from '../task-queues.js';
import { connectClient, temporalSettings } from '../temporal/connection.js';

/** Where people look at a job: the Web UI (the dev server's by default; set TEMPORAL_UI_URL for others). */
export function webUiLink(workflowId: string): string {
  const base = (process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233').replace(/\/$/, '');
  return `${base}/namespaces/${encodeURIComponent(temporalSettings().namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export interface CliContext {
  client: Client;
  activation: ActivationClient;
  close(): Promise<void>;
}

export async function openContext(taskQueue = process.env.TASK_QUEUE || DEFAULT_TASK_QUEUE): Promise<CliContext> {
  const client = await connectClient();
  return { client, activation: new ActivationClient(client, taskQueue), close: () => client.connection.close() };
}
