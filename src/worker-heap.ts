/**
 * The worker process's own heap limit (the main thread: activities, payload conversion), set by every launcher of
 * the project (npm run worker, the Dockerfile, the demo, the cluster, the bench) through NODE_OPTIONS, so nobody has
 * to know it. V8 collects lazily up to its limit (about 4 GB here): without one, garbage took the worker's resident
 * size far past what it held (bench, case 5).
 */
export const WORKER_HEAP_MB = 256;

/** NODE_OPTIONS for a worker process: the caller's own, plus WORKER_HEAP_MB unless they set a heap size. */
export function workerNodeOptions(current = process.env.NODE_OPTIONS ?? ''): string {
  return /--max-old-space-size/.test(current) ? current : `${current} --max-old-space-size=${WORKER_HEAP_MB}`.trim();
}
