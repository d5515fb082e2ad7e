import { SingleBar } from 'cli-progress';
import type { JobProgress } from '../activation/job-result.js';
import type { ActivationClient } from '../client.js';

/** Follows a job with a live bar of settled devices and the count per outcome, until it finishes. */
export async function followJob(activation: ActivationClient, jobId: string, intervalMs = 1_000): Promise<void> {
  const bar = new SingleBar({
    format:
      '{bar} {percentage}% | {value}/{total} settled | activated {activated} | failed {failed} | skipped {skipped} | unresolved {unresolved} | {phase}',
    hideCursor: true,
    // Redraw even when output is not a terminal (CI logs), but not more often than each poll.
    noTTYOutput: true,
    notTTYSchedule: intervalMs * 5,
  });
  const payload = (p: JobProgress) => ({ ...p.counts, phase: p.phase });
  const first = await activation.liveProgress(jobId);
  bar.start(first.counts.total, first.counts.total - first.counts.pending, payload(first));
  const done = activation.result(jobId).then(
    () => true,
    () => true,
  );
  let finished = false;
  void done.then(() => (finished = true));
  let readMs = 0;
  while (!finished) {
    await Promise.race([done, new Promise((r) => setTimeout(r, pollDelay(intervalMs, readMs)))]);
    const started = performance.now();
    const progress = await activation.liveProgress(jobId);
    readMs = performance.now() - started;
    // A group / custom-field job knows its devices only once the selection is resolved.
    if (progress.counts.total !== bar.getTotal()) bar.setTotal(progress.counts.total);
    bar.update(progress.counts.total - progress.counts.pending, payload(progress));
  }
  bar.stop();
}

/**
 * How long the bar waits before its next reading. Reading a running job asks each of its open requests, and the
 * worker replays those it has not cached: on a big job a reading takes seconds of the worker's CPU, so the bar waits
 * four times as long as the last one took, which keeps its readings to about a fifth of the time.
 */
export function pollDelay(intervalMs: number, lastReadMs: number): number {
  return Math.max(intervalMs, 4 * lastReadMs);
}

/**
 * The pages of a report as they come, with a bar of the devices read on `stream` while it is a terminal: reading a
 * big job's report takes a while (about two minutes at 1,000,000 devices), and `status` may read it whole to group
 * failures (jobs whose requests ended on older workers).
 */
export async function* withReadingBar<T>(
  pages: AsyncIterable<T[]>,
  total: number,
  stream: NodeJS.WritableStream = process.stderr,
): AsyncGenerator<T[]> {
  const bar = new SingleBar({
    format: 'reading the report {bar} {value}/{total} devices',
    stream,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(total, 0);
  let read = 0;
  try {
    for await (const page of pages) {
      read += page.length;
      bar.update(read);
      yield page;
    }
  } finally {
    bar.stop();
  }
}
