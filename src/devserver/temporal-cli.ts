/**
 * Finds (or builds) the Temporal CLI, which contains the dev server and the Web UI.
 *
 * Order: TEMPORAL_CLI_PATH → `temporal` on PATH → a cached build keyed by version → `go install` into that cache
 * → the SDK's own download at server start (needs internet). Machines without internet but with the Go module
 * proxy take the `go install` route once; later runs reuse the cached binary.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

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
  const base =
    env.TEMPORAL_CLI_CACHE_DIR ??
    join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'thingspace-activation', 'temporal-cli');
  return join(base, TEMPORAL_CLI_VERSION);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function findOnPath(command: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        output.push(line);
        log(`  ${line}`);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${output.slice(-5).join(' | ')}`)),
    );
  });
}

async function goInstall(goPath: string, target: string, env: NodeJS.ProcessEnv, log: (line: string) => void) {
  const dir = cacheDir(env);
  // A private GOBIN per attempt, renamed into place, so concurrent builders never see a half-written binary.
  const gobin = await mkdtemp(join(dir, '.build-'));
  try {
    log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (a few minutes the first time)…`);
    await run(
      goPath,
      ['install', `${GO_PACKAGE}@${TEMPORAL_CLI_VERSION}`],
      { ...env, GOBIN: gobin, CGO_ENABLED: '0' },
      log,
    );
    await rename(join(gobin, 'temporal'), target);
  } finally {
    await rm(gobin, { recursive: true, force: true });
  }
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
    await mkdir(cacheDir(env), { recursive: true });
    await goInstall(go, cached, env, log);
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
