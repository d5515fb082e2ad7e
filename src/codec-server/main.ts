/**
 * `npm run codec-server`: the Web UI's codec endpoint. Settings: CODEC_SERVER_PORT (8888), CODEC_SERVER_HOST
 * (127.0.0.1), CODEC_AUTH_TOKEN (required), CODEC_CORS_ORIGINS (http://localhost:8233), and the same
 * PAYLOAD_ENCRYPTION_* keys, BLOB_STORE_URL (and BLOB_STORE_PASSWORD_FILE) and EXTERNAL_STORAGE_THRESHOLD_BYTES as
 * the worker, so it resolves the references External Storage leaves in history. CODEC_LOCAL_WITHOUT_TOKEN=true
 * serves without a token, for the local dev server's Web UI (it has no login to pass one); it is refused unless
 * the host is a loopback address.
 */
import { z } from 'zod';
import { flagSetting, intSetting, optionalStringSetting, readSettings, stringSetting } from '../settings.js';
import { exampleSecretProblem, isExampleSecret } from '../example-secrets.js';
import { payloadCodecsFromEnv } from '../temporal/data-converter.js';
import { externalStorageFromEnv } from '../temporal/external-storage.js';
import { createCodecServer } from './server.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const CodecEnvSchema = z.object({
  CODEC_SERVER_HOST: stringSetting('127.0.0.1'),
  CODEC_SERVER_PORT: intSetting(0, 65_535, 8888),
  CODEC_AUTH_TOKEN: optionalStringSetting(),
  CODEC_LOCAL_WITHOUT_TOKEN: flagSetting(),
  CODEC_CORS_ORIGINS: stringSetting('http://localhost:8233'),
});

async function main() {
  const settings = readSettings(CodecEnvSchema, process.env, 'codec server settings');
  const host = settings.CODEC_SERVER_HOST;
  const withoutToken = settings.CODEC_LOCAL_WITHOUT_TOKEN;
  const authToken = settings.CODEC_AUTH_TOKEN;
  if (withoutToken && !LOOPBACK.has(host))
    throw new Error(`CODEC_LOCAL_WITHOUT_TOKEN=true needs CODEC_SERVER_HOST to be a loopback address, got "${host}".`);
  if (!authToken && !withoutToken)
    throw new Error('CODEC_AUTH_TOKEN must be set: decoded payloads contain personal data.');
  if (authToken && isExampleSecret(authToken)) throw new Error(exampleSecretProblem('CODEC_AUTH_TOKEN'));
  const app = await createCodecServer({
    codecs: payloadCodecsFromEnv(),
    externalStorage: externalStorageFromEnv(),
    authToken: withoutToken ? undefined : authToken,
    corsOrigins: settings.CODEC_CORS_ORIGINS.split(',').map((o) => o.trim()),
    logger: true,
  });
  await app.listen({ host, port: settings.CODEC_SERVER_PORT });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
