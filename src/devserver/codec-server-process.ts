/**
 * The codec server beside a local dev server (`npm run dev:server`, the demo, the browser test), so the Web UI
 * shows gzipped and encrypted payloads decoded. Bound to loopback without a token: the dev server's Web UI has no
 * login to pass one. It inherits PAYLOAD_ENCRYPTION_* from this process, so it decodes what the worker encrypts.
 */
import { startProcess, type RunningProcess, type StartOptions } from './processes.js';

export interface LocalCodecServer {
  /** What `temporal server start-dev --ui-codec-endpoint` takes. */
  endpoint: string;
  process: RunningProcess;
}

export async function startLocalCodecServer(
  options: { port: number; uiPort: number; env?: NodeJS.ProcessEnv } & StartOptions,
): Promise<LocalCodecServer> {
  const { port, uiPort, env, ...start } = options;
  const codec = startProcess(
    'codec-server',
    'src/codec-server/main.ts',
    {
      ...env,
      CODEC_SERVER_HOST: '127.0.0.1',
      CODEC_SERVER_PORT: String(port),
      CODEC_LOCAL_WITHOUT_TOKEN: 'true',
      // The UI is reached as localhost or 127.0.0.1; both are its origin to the browser.
      CODEC_CORS_ORIGINS: `http://localhost:${uiPort},http://127.0.0.1:${uiPort}`,
    },
    start,
  );
  await codec.waitFor(/Server listening/);
  return { endpoint: `http://127.0.0.1:${port}`, process: codec };
}
