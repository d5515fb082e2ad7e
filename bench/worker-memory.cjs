// Where the worker's memory goes, beside `npm run bench` (issue 12 notes in bench/RESULTS.md). A preload for the
// worker process only, given to every process of the bench through NODE_OPTIONS:
//
//   BENCH_HEAPS_FILE=/tmp/heaps.txt BENCH_PROMOTED_FILE=/tmp/promoted.heapprofile \
//     NODE_OPTIONS="--require ./bench/worker-memory.cjs" npm run bench -- --cases big
//   npx tsx bench/worker-memory-summary.ts --heaps /tmp/heaps.txt --promoted /tmp/promoted.heapprofile
//
// BENCH_HEAPS_FILE: every second, one line per thread (the main thread and each workflow thread) with its V8 heap
// and the memory its objects own outside it, and the process's RSS on the main thread's line. No profile or `/proc`
// figure splits a process's memory by thread.
// BENCH_PROMOTED_FILE: V8's sampling heap profile of the main thread, keeping only objects that outlived a young
// generation collection (freed later by a full one, or still alive): what fills the old generation and so sets
// how often the full collections come. Rewritten every 15 s; DevTools opens it too.
//
// CommonJS and plain JavaScript: Node preloads it into the worker's threads as well, before anything else.
/* global require, setInterval */
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a --require preload, see above */
const { isMainThread, threadId } = require('node:worker_threads');
const { appendFileSync, writeFileSync } = require('node:fs');
const v8 = require('node:v8');

// Threads inherit the environment of the moment they start: the main thread marks the worker process for them.
if (isMainThread && process.argv.some((arg) => /lib\/worker\.js$/.test(arg))) process.env.BENCH_WORKER_PROCESS = '1';

if (process.env.BENCH_WORKER_PROCESS === '1') {
  const heaps = process.env.BENCH_HEAPS_FILE;
  if (heaps) {
    const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
    const timer = setInterval(() => {
      const h = v8.getHeapStatistics();
      // The young generation's semi-space: V8 starts it at 1 MB and grows it towards --max-semi-space-size.
      const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
      // Memory outside the V8 heap that this thread's objects own (Buffers, compression streams): the SDK's
      // native core and glibc's arenas are what is left of the RSS.
      const usage = process.memoryUsage();
      const rss = isMainThread ? ` rss ${mb(usage.rss)}` : '';
      appendFileSync(
        heaps,
        `${Date.now()} ${process.pid} ${threadId} used ${mb(h.used_heap_size)} physical ${mb(h.total_physical_size)}` +
          ` new ${mb(young ? young.space_size : 0)} external ${mb(usage.external)}${rss}\n`,
      );
    }, 1_000);
    timer.unref();
  }

  const promoted = process.env.BENCH_PROMOTED_FILE;
  if (promoted && isMainThread) {
    const { Session } = require('node:inspector');
    const session = new Session();
    session.connect();
    session.post('HeapProfiler.enable');
    session.post('HeapProfiler.startSampling', {
      samplingInterval: 32 * 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: false,
    });
    const timer = setInterval(() => {
      session.post('HeapProfiler.getSamplingProfile', (err, result) => {
        if (!err) writeFileSync(promoted, JSON.stringify(result.profile));
      });
    }, 15_000);
    timer.unref();
  }
}
