/**
 * `npm run dev:server`: a local Temporal server for development. Workflows survive restarts in a SQLite file.
 * Settings: TEMPORAL_DEV_IP (127.0.0.1), TEMPORAL_DEV_PORT (7233), TEMPORAL_DEV_UI_PORT (8233),
 * TEMPORAL_DEV_DB_FILE (.data/temporal.sqlite), TEMPORAL_DEV_CODEC_PORT (8888).
 * The Web UI shows gzipped and encrypted payloads decoded: a local codec server (src/codec-server) starts beside
 * the dev server on TEMPORAL_DEV_CODEC_PORT, unless TEMPORAL_DEV_UI_CODEC_ENDPOINT names another one to use.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { intSetting, optionalStringSetting, readSettings, stringSetting } from '../settings.js';
import { startLocalCodecServer, type LocalCodecServer } from './codec-server-process.js';
import { DevServerStartError, startDevServer, type DevServer } from './dev-server.js';

const DevServerEnvSchema = z.object({
  TEMPORAL_DEV_IP: stringSetting('127.0.0.1'),
  TEMPORAL_DEV_PORT: intSetting(1, 65_535, 7233),
  TEMPORAL_DEV_UI_PORT: intSetting(1, 65_535, 8233),
  TEMPORAL_DEV_CODEC_PORT: intSetting(1, 65_535, 8888),
  TEMPORAL_DEV_DB_FILE: stringSetting('.data/temporal.sqlite'),
  TEMPORAL_DEV_UI_CODEC_ENDPOINT: optionalStringSetting(),
});

async function main() {
  const settings = readSettings(
    DevServerEnvSchema,
    process.env,
    'dev server settings',
    (message) => new DevServerStartError(message),
  );
  const uiPort = settings.TEMPORAL_DEV_UI_PORT;
  const dbFile = resolve(settings.TEMPORAL_DEV_DB_FILE);
  let codec: LocalCodecServer | undefined;
  let server: DevServer | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping the Temporal dev server and the codec server…');
    await server?.stop();
    await codec?.process.kill('SIGTERM');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  let endpoint = settings.TEMPORAL_DEV_UI_CODEC_ENDPOINT;
  if (!endpoint) {
    const logFile = join(dirname(dbFile), 'codec-server.log');
    await mkdir(dirname(logFile), { recursive: true });
    codec = await startLocalCodecServer({
      port: settings.TEMPORAL_DEV_CODEC_PORT,
      uiPort,
      log: createWriteStream(logFile, { flags: 'a' }),
    });
    endpoint = codec.endpoint;
    console.log(`Codec server at ${endpoint}, for the Web UI (log: ${logFile})`);
  }
  try {
    server = await startDevServer({
      ip: settings.TEMPORAL_DEV_IP,
      port: settings.TEMPORAL_DEV_PORT,
      uiPort,
      dbFile,
      startTimeoutMs: 120_000,
      extraArgs: ['--ui-codec-endpoint', endpoint],
      log: (line) => console.log(line),
    });
  } catch (err) {
    await codec?.process.kill('SIGTERM');
    throw err;
  }
  console.log(`Temporal dev server ready: gRPC ${server.address}, namespace ${server.namespace}`);
  console.log(`Web UI: ${server.uiUrl} (payloads decoded through ${endpoint})`);
  console.log('Press Ctrl+C to stop.');
  // The codec server gone means an unreadable Web UI: say so rather than serve on silently.
  codec?.process.child.once('exit', (code) => {
    if (stopping) return;
    console.error(`The codec server exited (${code}); stopping.`);
    void stop(1);
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
