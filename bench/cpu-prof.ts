/**
 * Node refuses --cpu-prof in NODE_OPTIONS, so a profiled process is this wrapper re-running its entry with the
 * flag, and with the Node flags its runner was given (BENCH_NODE_ARGS, a JSON array). Env: BENCH_ENTRY,
 * BENCH_CPU_PROF_DIR, BENCH_NODE_ARGS.
 */
import { spawn } from 'node:child_process';

const nodeArgs = JSON.parse(process.env.BENCH_NODE_ARGS ?? '[]') as string[];
const child = spawn(
  process.execPath,
  [
    ...nodeArgs,
    '--cpu-prof',
    `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`,
    '--import',
    'tsx',
    process.env.BENCH_ENTRY!,
  ],
  { stdio: 'inherit' },
);
// The profile is written when the process exits normally, so stop signals go to it, not around it.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 1));
