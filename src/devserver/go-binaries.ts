/**
 * Binaries built from the Go module proxy into a cache keyed by version: the Temporal CLI (dev server) and the
 * Temporal server with its SQL tool (`npm run cluster`). A build happens once per version and machine; later runs
 * find the cached files.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, delimiter, join } from 'node:path';

/** `~/.cache/thingspace-activation/<name>` (or under XDG_CACHE_HOME), unless `override` names another root. */
export function cacheRoot(name: string, override: string | undefined, env: NodeJS.ProcessEnv): string {
  return override ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'thingspace-activation', name);
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function findOnPath(command: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Runs a command to completion, passing each output line to `log`; the error carries the last lines. */
export function runLogged(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<void> {
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

/**
 * `go install pkg@version` for each package into `dir`. A private GOBIN per attempt, renamed into place, so
 * concurrent builders never see a half-written binary. Returns the installed paths, in the order of `packages`.
 */
export async function goInstallInto(
  go: string,
  packages: string[],
  version: string,
  dir: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const gobin = await mkdtemp(join(dir, '.build-'));
  try {
    for (const pkg of packages) {
      await runLogged(go, ['install', `${pkg}@${version}`], { ...env, GOBIN: gobin, CGO_ENABLED: '0' }, log);
    }
    const targets: string[] = [];
    for (const pkg of packages) {
      const target = join(dir, basename(pkg));
      await rename(join(gobin, basename(pkg)), target);
      targets.push(target);
    }
    return targets;
  } finally {
    await rm(gobin, { recursive: true, force: true });
  }
}
