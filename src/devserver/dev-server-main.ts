/**
 * `npm run dev:server`: a local Temporal server for development. Workflows survive restarts in a SQLite file.
 * Settings: TEMPORAL_DEV_IP (127.0.0.1), TEMPORAL_DEV_PORT (7233), TEMPORAL_DEV_UI_PORT (8233),
 * TEMPORAL_DEV_DB_FILE (.data/temporal.sqlite), TEMPORAL_DEV_UI_CODEC_ENDPOINT (the codec server's URL, so the Web UI
 * shows encrypted payloads decoded to those who hold its token).
 */
import { resolve } from 'node:path';
import { DevServerStartError, startDevServer } from './dev-server.js';

function portSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new DevServerStartError(`${name} must be a port number from 1 to 65535, got "${raw}".`);
  }
  return port;
}

async function main() {
  const server = await startDevServer({
    ip: process.env.TEMPORAL_DEV_IP ?? '127.0.0.1',
    port: portSetting('TEMPORAL_DEV_PORT', 7233),
    uiPort: portSetting('TEMPORAL_DEV_UI_PORT', 8233),
    dbFile: resolve(process.env.TEMPORAL_DEV_DB_FILE ?? '.data/temporal.sqlite'),
    startTimeoutMs: 120_000,
    extraArgs: process.env.TEMPORAL_DEV_UI_CODEC_ENDPOINT
      ? ['--ui-codec-endpoint', process.env.TEMPORAL_DEV_UI_CODEC_ENDPOINT]
      : [],
    log: (line) => console.log(line),
  });
  console.log(`Temporal dev server ready: gRPC ${server.address}, namespace ${server.namespace}`);
  console.log(`Web UI: ${server.uiUrl}`);
  console.log('Press Ctrl+C to stop.');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping the Temporal dev server…');
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
