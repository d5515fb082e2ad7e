/**
 * Finds (or builds) the Temporal CLI, which contains the dev server and the Web UI.
 *
 * Order: TEMPORAL_CLI_PATH → `temporal` on PATH → a cached build keyed by version → `go install` into that cache
 * → the SDK's own download at server start (needs internet). Machines without internet but with the Go module
 * proxy take the `go install` route once; later runs reuse the cached binary.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheRoot, findOnPath, goInstallInto, isExecutable } from './go-binaries.js';

/** Later tags carry a `replace` directive in go.mod, which `go install pkg@version` refuses. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

export type TemporalCli =
  | { kind: 'binary'; path: string; source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go install' }
  | { kind: 'sdk-download' };

export interface ObtainOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export class TemporalCliUnavailableError extends Error {
  override name = 'TemporalCliUnavailableError';
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot('temporal-cli', env.TEMPORAL_CLI_CACHE_DIR, env), TEMPORAL_CLI_VERSION);
}

async function goInstall(goPath: string, env: NodeJS.ProcessEnv, log: (line: string) => void) {
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (a few minutes the first time)…`);
  await goInstallInto(goPath, [GO_PACKAGE], TEMPORAL_CLI_VERSION, cacheDir(env), env, log);
}

export async function obtainTemporalCli(options: ObtainOptions = {}): Promise<TemporalCli> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});

  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!(await isExecutable(explicit))) {
      throw new TemporalCliUnavailableError(`TEMPORAL_CLI_PATH=${explicit} is not an executable file.`);
    }
    log(`Temporal CLI: ${explicit} (from TEMPORAL_CLI_PATH)`);
    return { kind: 'binary', path: explicit, source: 'TEMPORAL_CLI_PATH' };
  }

  const onPath = await findOnPath('temporal', env);
  if (onPath) {
    log(`Temporal CLI: ${onPath} (found on PATH)`);
    return { kind: 'binary', path: onPath, source: 'PATH' };
  }

  const cached = join(cacheDir(env), 'temporal');
  if (await isExecutable(cached)) {
    log(`Temporal CLI: ${cached} (cached build)`);
    return { kind: 'binary', path: cached, source: 'cache' };
  }

  const go = await findOnPath('go', env);
  if (go) {
    await goInstall(go, env, log);
    log(`Temporal CLI: ${cached} (built with go install)`);
    return { kind: 'binary', path: cached, source: 'go install' };
  }

  log('Temporal CLI: not found and no Go toolchain; the Temporal SDK will download the dev server when it starts.');
  return { kind: 'sdk-download' };
}

/** What to tell a user when even the SDK download failed. */
export function noRouteMessage(cause: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return [
    'Could not obtain the Temporal CLI (dev server):',
    '  - TEMPORAL_CLI_PATH is not set, and no `temporal` is on PATH;',
    `  - there is no cached build at ${join(cacheDir(env), 'temporal')};`,
    '  - `go` is not on PATH, so it cannot be built from the Go module proxy;',
    `  - the Temporal SDK's download failed: ${reason}`,
    `Install one of: Go >= 1.23 (then rerun; it runs \`go install ${GO_PACKAGE}@${TEMPORAL_CLI_VERSION}\`),`,
    'or the Temporal CLI itself (https://docs.temporal.io/cli), or point TEMPORAL_CLI_PATH at a `temporal` binary.',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  obtainTemporalCli({ log: (line) => console.log(line) }).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
