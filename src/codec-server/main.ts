/**
 * `npm run codec-server`: the Web UI's codec endpoint. Settings: CODEC_SERVER_PORT (8888), CODEC_SERVER_HOST
 * (127.0.0.1), CODEC_AUTH_TOKEN (required), CODEC_CORS_ORIGINS (http://localhost:8233), and the same
 * PAYLOAD_ENCRYPTION_* keys as the worker.
 */
import { exampleSecretProblem, isExampleSecret } from '../example-secrets.js';
import { payloadCodecsFromEnv } from '../temporal/data-converter.js';
import { createCodecServer } from './server.js';

async function main() {
  const authToken = process.env.CODEC_AUTH_TOKEN;
  if (!authToken) throw new Error('CODEC_AUTH_TOKEN must be set: decoded payloads contain personal data.');
  if (isExampleSecret(authToken)) throw new Error(exampleSecretProblem('CODEC_AUTH_TOKEN'));
  const app = await createCodecServer({
    codecs: payloadCodecsFromEnv(),
    authToken,
    corsOrigins: (process.env.CODEC_CORS_ORIGINS ?? 'http://localhost:8233').split(',').map((o) => o.trim()),
    logger: true,
  });
  const port = Number(process.env.CODEC_SERVER_PORT ?? 8888);
  await app.listen({ host: process.env.CODEC_SERVER_HOST ?? '127.0.0.1', port });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
