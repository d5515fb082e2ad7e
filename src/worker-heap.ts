/**
 * What every launcher of the project (npm run worker, the Dockerfile, the demo, the cluster, the bench) gives a
 * worker process, so nobody has to know it:
 * - a heap limit for the main thread (activities, payload conversion). V8 collects lazily up to its limit (about
 *   4 GB here): without one, garbage took the worker's resident size far past what it held (bench, case 5);
 * - a young generation of 8 MB semi-spaces. V8 sizes it from the heap limit (2 MB under 256 MB), and objects that
 *   outlive such a small one fill the old generation: with 8 MB a 200,000-device job peaked at 376-378 MB against
 *   410-427 MB, in as much time (two runs each, issue 12 notes in bench/RESULTS.md);
 * - at most two glibc malloc arenas. The SDK's native threads each get an arena of their own by default, and their
 *   fragments stay resident: two arenas took 20-30 MB off the worker's peak in a 200,000-device job (417-431 MB in
 *   three runs against 442-447 MB in two; issue 12 notes in bench/RESULTS.md).
 * All three must be set before the process starts, hence the environment.
 */
export const WORKER_HEAP_MB = 256;
export const WORKER_SEMI_SPACE_MB = 8;
export const WORKER_MALLOC_ARENAS = 2;

/** NODE_OPTIONS for a worker process: the caller's own, plus the heap sizes they did not set themselves. */
function workerNodeOptions(current: string): string {
  const options = [current];
  if (!/--max-old-space-size/.test(current)) options.push(`--max-old-space-size=${WORKER_HEAP_MB}`);
  if (!/--max-semi-space-size/.test(current)) options.push(`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
  return options.join(' ').trim();
}

/** The environment a launcher adds for a worker process; a caller's own MALLOC_ARENA_MAX wins. */
export function workerProcessEnv(env: NodeJS.ProcessEnv = process.env): {
  NODE_OPTIONS: string;
  MALLOC_ARENA_MAX: string;
} {
  return {
    NODE_OPTIONS: workerNodeOptions(env.NODE_OPTIONS ?? ''),
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? String(WORKER_MALLOC_ARENAS),
  };
}
