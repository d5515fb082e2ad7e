/**
 * `npm run codec-server`: the Web UI's codec endpoint. Settings: CODEC_SERVER_PORT (8888), CODEC_SERVER_HOST
 * (127.0.0.1), CODEC_AUTH_TOKEN (required), CODEC_CORS_ORIGINS (http://localhost:8233), and the same
 * PAYLOAD_ENCRYPTION_* keys as the worker. CODEC_LOCAL_WITHOUT_TOKEN=true serves without a token, for the local
 * dev server's Web UI (it has no login to pass one); it is refused unless the host is a loopback address.
 */
import { exampleSecretProblem, isExampleSecret } from '../example-secrets.js';
import { payloadCodecsFromEnv } from '../temporal/data-converter.js';
import { createCodecServer } from './server.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

async function main() {
  const host = process.env.CODEC_SERVER_HOST ?? '127.0.0.1';
  const withoutToken = process.env.CODEC_LOCAL_WITHOUT_TOKEN === 'true';
  const authToken = process.env.CODEC_AUTH_TOKEN || undefined;
  if (withoutToken && !LOOPBACK.has(host))
    throw new Error(`CODEC_LOCAL_WITHOUT_TOKEN=true needs CODEC_SERVER_HOST to be a loopback address, got "${host}".`);
  if (!authToken && !withoutToken)
    throw new Error('CODEC_AUTH_TOKEN must be set: decoded payloads contain personal data.');
  if (authToken && isExampleSecret(authToken)) throw new Error(exampleSecretProblem('CODEC_AUTH_TOKEN'));
  const app = await createCodecServer({
    codecs: payloadCodecsFromEnv(),
    authToken: withoutToken ? undefined : authToken,
    corsOrigins: (process.env.CODEC_CORS_ORIGINS ?? 'http://localhost:8233').split(',').map((o) => o.trim()),
    logger: true,
  });
  const port = Number(process.env.CODEC_SERVER_PORT ?? 8888);
  await app.listen({ host, port });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
