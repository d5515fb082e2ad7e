/**
 * The worker's workflow cache, read from its Prometheus endpoint (WORKER_METRICS_ADDRESS): a miss is a workflow
 * task for a run no longer in memory, which the worker replays from its whole history first.
 */
export interface WorkflowCacheFigures {
  hits: number;
  misses: number;
  forcedEvictions: number;
}

const METRICS = {
  hits: 'temporal_sticky_cache_hit',
  misses: 'temporal_sticky_cache_miss',
  forcedEvictions: 'temporal_sticky_cache_total_forced_eviction',
} as const;

/** A counter's line: its name (optionally with `_total`), its labels, its value. */
const LINES = (Object.entries(METRICS) as [keyof WorkflowCacheFigures, string][]).map(
  ([field, metric]) => [field, new RegExp(`^${metric}(?:_total)?(?:\\{[^}]*\\})? ([0-9.e+]+)$`)] as const,
);

/** Sums each counter over its label sets (one per worker of the process). */
export function parseWorkflowCache(text: string): WorkflowCacheFigures {
  const figures: WorkflowCacheFigures = { hits: 0, misses: 0, forcedEvictions: 0 };
  for (const line of text.split('\n')) {
    for (const [field, pattern] of LINES) {
      const match = pattern.exec(line);
      if (match) figures[field] += Number(match[1]);
    }
  }
  return figures;
}

export async function readWorkflowCache(port: number): Promise<WorkflowCacheFigures> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!response.ok) throw new Error(`worker metrics: HTTP ${response.status}`);
  return parseWorkflowCache(await response.text());
}
