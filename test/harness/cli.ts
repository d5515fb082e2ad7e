/** The CLI as a user runs it: a child process, pointed at the run's dev server and a task queue. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/starter.ts', ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The environment that points the CLI at the test run's dev server and at `taskQueue`'s workers. */
export function cliEnv(taskQueue = 'cli-unused'): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
    TEMPORAL_NAMESPACE: process.env.TEMPORAL_TEST_NAMESPACE,
    TASK_QUEUE: taskQueue,
  };
}
