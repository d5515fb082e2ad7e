/**
 * Node refuses --cpu-prof in NODE_OPTIONS, and the product's process runner passes no Node flags, so a profiled
 * process is this wrapper re-running its entry with the flag. Env: BENCH_ENTRY, BENCH_CPU_PROF_DIR.
 */
import { spawn } from 'node:child_process';

const child = spawn(
  process.execPath,
  ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`, '--import', 'tsx', process.env.BENCH_ENTRY!],
  { stdio: 'inherit' },
);
// The profile is written when the process exits normally, so stop signals go to it, not around it.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 1));
