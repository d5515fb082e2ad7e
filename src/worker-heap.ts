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
 *   three runs against 442-447 MB in two; issue 12 notes in bench/RESULTS.md);
 * - glibc's mmap threshold held at 128 KiB. By default glibc raises it to the size of the largest block freed (up to
 *   32 MB); blocks below it then come from the arenas, where what is freed mostly stays resident. In a million-device
 *   job the worker's resident memory besides V8's heaps and their Buffers (its code included) sat at a median of
 *   106 MB, with a step it never gave back; held at 128 KiB, 68-76 MB with no step, and the peak 438-461 MB in four
 *   runs against 494 and 522 MB in two. Every block from 128 KiB up is then a mapping of its own, so it costs page
 *   faults: about 11 CPU-s of the kernel's in a million-device job and its report, of 445 (bench/RESULTS.md, "glibc's
 *   mmap threshold").
 * All four must be set before the process starts, hence the environment.
 */
export const WORKER_HEAP_MB = 256;
export const WORKER_SEMI_SPACE_MB = 8;
export const WORKER_MALLOC_ARENAS = 2;
export const WORKER_MMAP_THRESHOLD_BYTES = 128 * 1024;

/** NODE_OPTIONS for a worker process: the caller's own, plus the heap sizes they did not set themselves. */
function workerNodeOptions(current: string): string {
  const options = [current];
  if (!/--max-old-space-size/.test(current)) options.push(`--max-old-space-size=${WORKER_HEAP_MB}`);
  if (!/--max-semi-space-size/.test(current)) options.push(`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
  return options.join(' ').trim();
}

/** The environment a launcher adds for a worker process; a caller's own malloc settings win. */
export function workerProcessEnv(env: NodeJS.ProcessEnv = process.env): {
  NODE_OPTIONS: string;
  MALLOC_ARENA_MAX: string;
  MALLOC_MMAP_THRESHOLD_: string;
} {
  return {
    NODE_OPTIONS: workerNodeOptions(env.NODE_OPTIONS ?? ''),
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? String(WORKER_MALLOC_ARENAS),
    MALLOC_MMAP_THRESHOLD_: env.MALLOC_MMAP_THRESHOLD_ ?? String(WORKER_MMAP_THRESHOLD_BYTES),
  };
}
