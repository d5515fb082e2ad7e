/**
 * The product's processes (worker, webhook, simulator …) as real child processes: the demo runs the whole stack
 * this way, and the fault tests SIGKILL them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface StartOptions {
  /** Also append every line to this stream (a log file). */
  log?: NodeJS.WritableStream;
  /** Node's own options before the entry point: V8 flags that NODE_OPTIONS does not take. */
  nodeArgs?: readonly string[];
}

export interface RunningProcess {
  name: string;
  child: ChildProcess;
  output: string[];
  /** Resolves when a line matching `pattern` has been printed; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs an entry point: a TypeScript one (e.g. `src/worker.ts`) with tsx, as `npm run worker` does; a compiled one
 * (`lib/worker.js`, from `npm run build`) with node alone, as the Dockerfile does.
 */
export function startProcess(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  options: StartOptions = {},
): RunningProcess {
  const run = entry.endsWith('.js') ? [entry] : ['--import', 'tsx', entry];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...run], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    options.log?.write(chunk);
    output.push(...chunk.toString().split('\n').filter(Boolean));
    if (output.length > 5_000) output.splice(0, output.length - 5_000);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return {
    name,
    child,
    output,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (output.some((line) => pattern.test(line))) done(resolve);
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(new Error(`${name}: no ${pattern} within ${timeoutMs} ms:\n${output.slice(-20).join('\n')}`)),
            ),
          timeoutMs,
        );
        const onExit = () =>
          done(() =>
            reject(
              new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${output.slice(-20).join('\n')}`),
            ),
          );
        const done = (finish: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
          finish();
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
