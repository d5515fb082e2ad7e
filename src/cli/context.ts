import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { ActivationClient } from '../client.js';
import { DEFAULT_TASK_QUEUE } from '../task-queues.js';
import { connectClient, temporalSettings } from '../temporal/connection.js';
import { readSettings, stringSetting } from '../settings.js';

const CliEnvSchema = z.object({
  TEMPORAL_UI_URL: stringSetting('http://localhost:8233'),
  TASK_QUEUE: stringSetting(DEFAULT_TASK_QUEUE),
});
const cliSettings = () => readSettings(CliEnvSchema, process.env, 'settings');

/** Where people look at a job: the Web UI (the dev server's by default; set TEMPORAL_UI_URL for others). */
export function webUiLink(workflowId: string): string {
  const base = cliSettings().TEMPORAL_UI_URL.replace(/\/$/, '');
  return `${base}/namespaces/${encodeURIComponent(temporalSettings().namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export interface CliContext {
  client: Client;
  activation: ActivationClient;
  close(): Promise<void>;
}

export async function openContext(taskQueue = cliSettings().TASK_QUEUE): Promise<CliContext> {
  const client = await connectClient();
  return { client, activation: new ActivationClient(client, taskQueue), close: () => client.connection.close() };
}
