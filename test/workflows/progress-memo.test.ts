import { describe, expect, it } from '@jest/globals';
import type { RequestProgress } from '../../src/activation/model.js';
import { emptyCounts } from '../../src/activation/outcomes.js';
import {
  MAX_PUBLISHED_GROUPS_BYTES,
  PROGRESS_MEMO,
  publishedProgress,
  readPublishedProgress,
} from '../../src/activation/progress-memo.js';

const progress = (reasons: number): RequestProgress => ({
  requestId: 'r-1',
  phase: 'awaiting-callbacks',
  counts: { ...emptyCounts(10), failed: reasons, pending: 10 - reasons },
  callbacks: { applied: reasons, duplicates: 0, unknown: 0, late: 0, signals: 1 },
  notActivatedGroups: [
    {
      outcome: 'failed',
      count: reasons,
      reasons: Array.from({ length: reasons }, (_, n) => ({ reason: `ThingSpace reason number ${n}`, count: 1 })),
    },
  ],
});

describe('the progress a request publishes in its memo', () => {
  it('carries what status needs, and reads back as published', () => {
    const published = publishedProgress(progress(2));
    expect(published).toEqual({
      phase: 'awaiting-callbacks',
      counts: progress(2).counts,
      notActivatedGroups: progress(2).notActivatedGroups,
    });
    expect(readPublishedProgress({ [PROGRESS_MEMO]: published })).toEqual(published);
  });

  it('leaves the counts by reason out past its bound, and readers then ask the request', () => {
    const many = publishedProgress(progress(60));
    expect(JSON.stringify(progress(60).notActivatedGroups).length).toBeGreaterThan(MAX_PUBLISHED_GROUPS_BYTES);
    expect(many.notActivatedGroups).toBeUndefined();
    expect(JSON.stringify(many).length).toBeLessThan(2_048);
    expect(readPublishedProgress({ [PROGRESS_MEMO]: many })).toBeUndefined();
  });

  it('reads nothing from a memo without it (a run older than the memo) or not shaped as it', () => {
    expect(readPublishedProgress(undefined)).toBeUndefined();
    expect(readPublishedProgress({})).toBeUndefined();
    expect(readPublishedProgress({ [PROGRESS_MEMO]: 'x' })).toBeUndefined();
    expect(readPublishedProgress({ [PROGRESS_MEMO]: { phase: 'done', notActivatedGroups: [] } })).toBeUndefined();
  });
});
