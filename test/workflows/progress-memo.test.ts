import { describe, expect, it } from '@jest/globals';
import type { RequestProgress } from '../../src/activation/model.js';
import { emptyCounts } from '../../src/activation/outcomes.js';
import {
  MAX_PUBLISHED_BYTES,
  MAX_PUBLISHED_REQUESTS,
  PROGRESS_MEMO,
  publishedJobProgress,
  publishedProgress,
  readPublishedJobProgress,
  readPublishedProgress,
} from '../../src/activation/progress-memo.js';
import type { JobProgress } from '../../src/activation/job-result.js';

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
    expect(JSON.stringify(progress(60).notActivatedGroups).length).toBeGreaterThan(MAX_PUBLISHED_BYTES);
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

  it('of a job: its counts and open requests; less when they do not fit or it has many requests or parts', () => {
    const request = (n: number, finished: boolean) => ({
      requestId: `r-${n}`,
      workflowId: `thingspace-request-r-${n}`,
      devices: 10,
      requestIdKnown: true,
      ...(finished && { counts: { ...emptyCounts(10), activated: 10, pending: 0 } }),
    });
    const job = (requests: number): JobProgress => ({
      jobId: 'j-1~part-1',
      phase: 'awaiting-requests',
      counts: emptyCounts(10 * requests),
      requests: Array.from({ length: requests }, (_, n) => request(n, n === 0)),
      notActivatedGroups: [],
    });
    const publish = (progress: JobProgress, parts = false) =>
      publishedJobProgress({ phase: progress.phase, requests: progress.requests.length, parts }, () => progress);
    const few = publish(job(3));
    expect(few).toEqual({
      phase: 'awaiting-requests',
      counts: job(3).counts,
      requests: [request(1, false), request(2, false)],
      notActivatedGroups: [],
    });
    expect(readPublishedJobProgress({ [PROGRESS_MEMO]: few })).toEqual(few);
    // Requests too long to fit: the counts alone, and readers ask the job.
    const longIds = {
      ...job(3),
      requests: job(3).requests.map((r) => ({ ...r, workflowId: r.workflowId.padEnd(900) })),
    };
    expect(publish(longIds)).toEqual({ phase: 'awaiting-requests', counts: job(3).counts });
    expect(readPublishedJobProgress({ [PROGRESS_MEMO]: publish(longIds) })).toBeUndefined();
    // More requests than it publishes, or parts: its phase alone, without counting anything.
    const unasked = () => {
      throw new Error('progress computed');
    };
    for (const many of [
      publishedJobProgress({ phase: 'awaiting-requests', requests: MAX_PUBLISHED_REQUESTS + 1, parts: false }, unasked),
      publishedJobProgress({ phase: 'running-parts', requests: 0, parts: true }, unasked),
    ]) {
      expect(Object.keys(many)).toEqual(['phase']);
      expect(readPublishedJobProgress({ [PROGRESS_MEMO]: many })).toBeUndefined();
    }
  });
});
