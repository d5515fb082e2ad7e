/**
 * A request's progress as it publishes it in its memo: what `status` and `activate --wait` need of an open request
 * (counts, and devices not activated by reason), read with one describe and no replay. A query on a workflow the
 * worker has not cached replays its whole history; a million-device job has up to a hundred requests open, and the
 * worker caches six. Plain and deterministic, so the workflow bundle can use it.
 */
import type { RequestProgress } from './model.js';

export const PROGRESS_MEMO = 'progress';

export type PublishedProgress = Pick<RequestProgress, 'phase' | 'counts' | 'awaitingNidd' | 'notActivatedGroups'>;

/**
 * Temporal warns past 2 KB of memo (`limit.memoSize.warn`). Reasons are a handful of texts, but many distinct ones
 * would pass it: the counts by reason are then left out, and readers ask the request itself for them.
 */
export const MAX_PUBLISHED_GROUPS_BYTES = 1_500;

export function publishedProgress(progress: RequestProgress): PublishedProgress {
  const { phase, counts, awaitingNidd, notActivatedGroups } = progress;
  const published: PublishedProgress = { phase, counts };
  if (awaitingNidd !== undefined) published.awaitingNidd = awaitingNidd;
  if (notActivatedGroups && JSON.stringify(notActivatedGroups).length <= MAX_PUBLISHED_GROUPS_BYTES)
    published.notActivatedGroups = notActivatedGroups;
  return published;
}

/**
 * The progress a request published, when its memo holds one with counts by reason (otherwise the request must be
 * asked: a run older than the memo, or reasons too many to publish).
 */
export function readPublishedProgress(memo: Record<string, unknown> | undefined): PublishedProgress | undefined {
  const value = memo?.[PROGRESS_MEMO] as Partial<PublishedProgress> | undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (typeof value.counts !== 'object' || value.counts === null || !Array.isArray(value.notActivatedGroups))
    return undefined;
  return value as PublishedProgress;
}
