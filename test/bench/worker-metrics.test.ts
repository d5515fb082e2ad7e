/** The bench's readings of the worker's workflow cache (its Prometheus text) and of processes' CPU time (/proc). */
import { describe, expect, it } from '@jest/globals';
import { machineCpuSeconds, processCpuSeconds } from '../../bench/processes.js';
import { parseWorkflowCache } from '../../bench/worker-metrics.js';

describe('parseWorkflowCache', () => {
  it("sums each counter over the process's workers and ignores other metrics", () => {
    const text = [
      '# HELP temporal_sticky_cache_hit Count of times the workflow cache was used for a new workflow task',
      '# TYPE temporal_sticky_cache_hit counter',
      'temporal_sticky_cache_hit{namespace="default",service_name="temporal-core-sdk",task_queue="q"} 120',
      'temporal_sticky_cache_hit{namespace="default",service_name="temporal-core-sdk",task_queue="q.coordinators"} 7',
      'temporal_sticky_cache_miss{namespace="default",task_queue="q"} 15',
      'temporal_sticky_cache_miss_total{namespace="default",task_queue="q.coordinators"} 2',
      'temporal_sticky_cache_total_forced_eviction{task_queue="q"} 3',
      'temporal_sticky_cache_size{task_queue="q"} 6',
      'temporal_workflow_completed{task_queue="q"} 40',
    ].join('\n');
    expect(parseWorkflowCache(text)).toEqual({ hits: 127, misses: 17, forcedEvictions: 3 });
  });
});

describe('CPU seconds from /proc', () => {
  it("counts this process's own work, and the machine's busy time at least as much", () => {
    const before = processCpuSeconds(process.pid)!;
    const machineBefore = machineCpuSeconds();
    const start = process.cpuUsage();
    let x = 0;
    while (process.cpuUsage(start).user < 300_000) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    const spent = processCpuSeconds(process.pid)! - before;
    expect(spent).toBeGreaterThanOrEqual(0.25);
    expect(spent).toBeLessThan(30);
    expect(machineCpuSeconds().busy - machineBefore.busy).toBeGreaterThanOrEqual(0.25);
  });
});
