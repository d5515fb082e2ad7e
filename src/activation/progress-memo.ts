/**
 * Progress as request and part workflows publish it in their memo: what `status` and `activate --wait` need of an
 * open request or part (counts, devices not activated by reason, a part's open requests), read with one describe
 * and no replay. A query on a workflow the worker has not cached replays its whole history; a million-device job has
 * up to a hundred requests and parts open, and the worker caches six. Plain and deterministic, so the workflow
 * bundle can use it.
 */
import type { JobPhase, JobProgress, JobRequestSummary } from './job-result.js';
import type { RequestProgress } from './model.js';

export const PROGRESS_MEMO = 'progress';

export type PublishedProgress = Pick<RequestProgress, 'phase' | 'counts' | 'awaitingNidd' | 'notActivatedGroups'>;

export type PublishedJobProgress = Pick<JobProgress, 'phase' | 'counts' | 'notActivatedGroups'> & {
  /** The requests still open; the finished ones are in `counts`. */
  requests: JobRequestSummary[];
};

/**
 * Temporal warns past 2 KB of memo (`limit.memoSize.warn`). Reasons are a handful of texts and a part has a request
 * or two, but many distinct reasons or small requests would pass it: what does not fit is left out, and readers ask
 * the workflow itself.
 */
export const MAX_PUBLISHED_BYTES = 1_800;

const fits = (value: unknown) => JSON.stringify(value).length <= MAX_PUBLISHED_BYTES;

/**
 * A job with more requests publishes only its phase, and is asked. A part of 10,000 devices has one request unless
 * its caller asked for small ones (`maxDevicesPerRequest`); then the requests would not fit, and counting the job's
 * devices at every request's end would cost the workflow as much as the requests themselves.
 */
export const MAX_PUBLISHED_REQUESTS = 8;

export function publishedProgress(progress: RequestProgress): PublishedProgress {
  const { phase, counts, awaitingNidd, notActivatedGroups } = progress;
  const published: PublishedProgress = { phase, counts };
  if (awaitingNidd !== undefined) published.awaitingNidd = awaitingNidd;
  if (notActivatedGroups && fits({ ...published, notActivatedGroups }))
    published.notActivatedGroups = notActivatedGroups;
  return published;
}

/**
 * What a job publishes: its counts and open requests; only its counts when they do not fit, and only its phase when
 * it has parts or more than MAX_PUBLISHED_REQUESTS requests (`progress` is then not computed). Readers then ask the
 * job.
 */
export function publishedJobProgress(
  job: { phase: JobPhase; requests: number; parts: boolean },
  progress: () => JobProgress,
): PublishedJobProgress | Pick<PublishedJobProgress, 'phase' | 'counts'> | Pick<PublishedJobProgress, 'phase'> {
  if (job.parts || job.requests > MAX_PUBLISHED_REQUESTS) return { phase: job.phase };
  const { phase, counts, notActivatedGroups, requests: all } = progress();
  const requests = all.filter((request) => !request.counts && !request.failure);
  const published: PublishedJobProgress = { phase, counts, requests };
  if (notActivatedGroups) published.notActivatedGroups = notActivatedGroups;
  return fits(published) ? published : { phase, counts };
}

const memoValue = (memo: Record<string, unknown> | undefined) => {
  const value = memo?.[PROGRESS_MEMO];
  return typeof value === 'object' && value !== null && typeof (value as { counts?: unknown }).counts === 'object'
    ? (value as Record<string, unknown>)
    : undefined;
};

/**
 * The progress a request published, when its memo holds one with counts by reason (otherwise the request must be
 * asked: a run older than the memo, or reasons too many to publish).
 */
export function readPublishedProgress(memo: Record<string, unknown> | undefined): PublishedProgress | undefined {
  const value = memoValue(memo);
  return value && Array.isArray(value.notActivatedGroups) ? (value as unknown as PublishedProgress) : undefined;
}

/** The progress a job published, when its memo holds its open requests (otherwise the job must be asked). */
export function readPublishedJobProgress(memo: Record<string, unknown> | undefined): PublishedJobProgress | undefined {
  const value = memoValue(memo);
  return value && Array.isArray(value.requests) ? (value as unknown as PublishedJobProgress) : undefined;
}
