/**
 * The Temporal server and its SQL tool, built from the Go module proxy once per version into
 * `~/.cache/thingspace-activation/temporal-server/<version>/` (TEMPORAL_SERVER_CACHE_DIR overrides the root), with
 * the module's `config/development-postgres12.yaml`, the template `npm run cluster` adapts. Later runs need no Go.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheRoot, findOnPath, goInstallInto, isExecutable, runLogged } from '../devserver/go-binaries.js';

/** The release docker-compose.yml should name too, so that both describe one deployment. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const MODULE = 'go.temporal.io/server';
const PACKAGES = [`${MODULE}/cmd/server`, `${MODULE}/cmd/tools/sql`];
export const CONFIG_TEMPLATE = 'development-postgres12.yaml';

export interface TemporalServerBinaries {
  server: string;
  sql: string;
  /** The module's development-postgres12.yaml. */
  configTemplate: string;
  source: 'cache' | 'go install';
}

export class TemporalServerUnavailableError extends Error {
  override name = 'TemporalServerUnavailableError';
}

export function serverCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot('temporal-server', env.TEMPORAL_SERVER_CACHE_DIR, env), TEMPORAL_SERVER_VERSION);
}

/** The module's source directory in the Go module cache (downloaded if needed), for its config files. */
async function moduleDir(go: string, env: NodeJS.ProcessEnv): Promise<string> {
  const lines: string[] = [];
  await runLogged(go, ['mod', 'download', '-json', `${MODULE}@${TEMPORAL_SERVER_VERSION}`], env, (l) => lines.push(l));
  const { Dir } = JSON.parse(lines.join('\n')) as { Dir?: string };
  if (!Dir) throw new TemporalServerUnavailableError(`go mod download printed no Dir for ${MODULE}`);
  return Dir;
}

export async function obtainTemporalServer(
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<TemporalServerBinaries> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const dir = serverCacheDir(env);
  const cached = {
    server: join(dir, 'server'),
    sql: join(dir, 'sql'),
    configTemplate: join(dir, CONFIG_TEMPLATE),
  };
  if ((await isExecutable(cached.server)) && (await isExecutable(cached.sql))) {
    log(`Temporal server ${TEMPORAL_SERVER_VERSION}: ${dir} (cached build)`);
    return { ...cached, source: 'cache' };
  }

  const go = await findOnPath('go', env);
  if (!go) {
    throw new TemporalServerUnavailableError(
      [
        `The Temporal server ${TEMPORAL_SERVER_VERSION} is not built yet (nothing at ${dir}) and \`go\` is not on PATH.`,
        'Install Go >= 1.23 (https://go.dev/dl/; e.g. into /usr/local/go, then add /usr/local/go/bin to PATH)',
        `and run again: it runs \`go install ${PACKAGES.map((p) => `${p}@${TEMPORAL_SERVER_VERSION}`).join(' ')}\` once.`,
      ].join('\n'),
    );
  }
  log(`Building the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool with go install (minutes, once)…`);
  await mkdir(dir, { recursive: true });
  // The template first: a cache with both binaries is complete, so they are renamed into place last.
  await copyFile(join(await moduleDir(go, env), 'config', CONFIG_TEMPLATE), cached.configTemplate);
  await goInstallInto(go, PACKAGES, TEMPORAL_SERVER_VERSION, dir, env, log);
  log(`Temporal server ${TEMPORAL_SERVER_VERSION}: ${dir} (built with go install)`);
  return { ...cached, source: 'go install' };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  obtainTemporalServer({ log: (line) => console.log(line) }).then(
    () => console.log(`(ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
