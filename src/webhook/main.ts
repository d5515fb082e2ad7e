/**
 * `npm run webhook`: receives ThingSpace callbacks and signals the request workflows. Settings: see config.ts and
 * README ("Callback webhook"); Temporal through TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE … (src/temporal/connection.ts).
 */
import { Client, Connection } from '@temporalio/client';
import { dataConverter, temporalSettings } from '../temporal/connection.js';
import { WebhookConfigError, webhookSettingsFromEnv } from './config.js';
import { createWebhook } from './server.js';

async function main(): Promise<void> {
  const settings = webhookSettingsFromEnv();
  const { connectionOptions, namespace } = temporalSettings();
  // Lazy, unlike connectClient(): the webhook must come up (and report not ready) while Temporal is away, and
  // answer 503 until it is back, rather than crash-loop.
  const connection = Connection.lazy(connectionOptions);
  const client = new Client({ connection, namespace, dataConverter });
  const webhook = await createWebhook({ client, settings, internalListener: settings.internalPort !== undefined });
  const log = webhook.app.log;

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting for batches in flight');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, pending: webhook.batcher.pending }, 'shutting down: flushing batches in flight');
    webhook
      .close()
      .then(() => connection.close())
      .then(() => {
        log.info('webhook stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        log.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop).on('SIGINT', stop);

  await webhook.internal?.listen({ host: settings.host, port: settings.internalPort });
  await webhook.app.listen({ host: settings.host, port: settings.port });
  log.info(
    {
      temporal: connectionOptions.address ?? 'localhost:7233',
      port: settings.port,
      ...(settings.internalPort !== undefined && { internalPort: settings.internalPort }),
      namespace,
      batchWindowMs: settings.batchWindowMs,
      batchMax: settings.batchMax,
    },
    'webhook ready for ThingSpace callbacks',
  );
}

main().catch((err: unknown) => {
  // Settings errors name the variables and never their values, so the message is safe to print as is.
  console.error(err instanceof WebhookConfigError ? err.message : `webhook failed to start: ${(err as Error).message}`);
  process.exit(1);
});
