/**
 * Temporal connection settings for every process (worker, webhook, CLI), through @temporalio/envconfig: the
 * standard TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* variables and TOML profiles,
 * so the same code runs against the dev server, a self-hosted cluster or Temporal Cloud.
 */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { dataConverterFromEnv } from './data-converter.js';

/** Read once per process; a bad encryption setting stops the process at start-up with its reason. */
export const dataConverter: DataConverter = dataConverterFromEnv();

export function temporalSettings() {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  return { connectionOptions, namespace: namespace ?? 'default' };
}

export async function connectClient(): Promise<Client> {
  const { connectionOptions, namespace } = temporalSettings();
  const connection = await Connection.connect(connectionOptions);
  return new Client({ connection, namespace, dataConverter });
}
