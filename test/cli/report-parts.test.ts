/**
 * How ActivationClient.report reads a job, over a fake Temporal client that answers the job's queries: in parts, a
 * failed part unresolved, an unstarted part pending while the job runs and skipped once it was cancelled, each read
 * from the part's stored list; and how many queries it asks of workers that answer 5,000 devices or (older) 500.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { encodeDeviceList } from '../../src/activation/device-list.js';
import type { JobPartSummary, JobPhase, JobProgress } from '../../src/activation/job-result.js';
import type { DeviceReport } from '../../src/activation/model.js';
import { emptyCounts } from '../../src/activation/outcomes.js';
import { ActivationClient } from '../../src/client.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import { jobDevice, seedDevice } from '../harness/activation.js';

let dir: string;
let store: FileBlobStore;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'report-parts-'));
  store = new FileBlobStore(dir);
  await store.put('job-parts/j/1', encodeDeviceList([jobDevice(seedDevice(1))]));
  await store.put('job-parts/j/2', encodeDeviceList([jobDevice(seedDevice(2)), jobDevice(seedDevice(3))]));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const part = (n: number, extra: Partial<JobPartSummary>): JobPartSummary => ({
  jobId: `j~part-${n}`,
  deviceList: `job-parts/j/${n}`,
  devices: n,
  started: false,
  submitted: false,
  ...extra,
});

/**
 * A client whose workflows answer only the job queries, with the parent's progress as given; a cancelled job has
 * completed, and its progress comes from its result.
 */
function fakeClient(phase: JobPhase, parts: JobPartSummary[]): Client {
  const progress: JobProgress = { jobId: 'j', phase, counts: emptyCounts(3), requests: [], parts };
  const completed = phase === 'cancelled';
  const handle = {
    describe: async () => ({ status: { name: completed ? 'COMPLETED' : 'RUNNING' } }),
    result: async () => (completed ? progress : Promise.reject(new Error('still running'))),
    query: async (query: { name: string }): Promise<JobProgress | DeviceReport[]> =>
      query.name === 'progress' && !completed ? progress : [],
  };
  return { workflow: { getHandle: () => handle } } as unknown as Client;
}

async function rows(phase: JobPhase, parts: JobPartSummary[]) {
  const out: DeviceReport[] = [];
  for await (const page of new ActivationClient(fakeClient(phase, parts), 'q', store).report('j')) out.push(...page);
  return out.map(({ key, outcome, reason }) => ({ key, outcome, reason }));
}

describe('the report of a job in parts', () => {
  const failed = part(1, { started: true, failure: 'terminated' });
  const waiting = part(2, {});

  it('shows a part not started yet as pending while the job runs', async () => {
    expect(await rows('running-parts', [failed, waiting])).toEqual([
      { key: 'imei:350000000000001', outcome: 'unresolved', reason: 'part job j~part-1 ended: terminated' },
      { key: 'imei:350000000000002', outcome: 'unresolved', reason: 'pending (its part has not started yet)' },
      { key: 'imei:350000000000003', outcome: 'unresolved', reason: 'pending (its part has not started yet)' },
    ]);
  });

  it('shows it skipped once the job was cancelled', async () => {
    expect((await rows('cancelled', [failed, waiting])).slice(1)).toEqual([
      { key: 'imei:350000000000002', outcome: 'skipped', reason: 'job cancelled before submission' },
      { key: 'imei:350000000000003', outcome: 'skipped', reason: 'job cancelled before submission' },
    ]);
  });
});

describe('the report read from workers of either version', () => {
  const rowsOf = (from: number, count: number): DeviceReport[] =>
    Array.from({ length: count }, (_, i) => ({
      key: `imei:${from + i}`,
      deviceIds: [{ kind: 'imei', id: String(from + i) }],
      assignedIds: [],
      outcome: 'activated',
    }));
  /** A completed job that settled `own` devices itself and ran one request of `inRequest`; answers clamped at `most`. */
  function clampingClient(own: number, inRequest: number, most: number, asked: string[]): Client {
    const job = rowsOf(1_000_000, own);
    const request = rowsOf(2_000_000, inRequest);
    const progress: JobProgress = {
      jobId: 'j',
      phase: 'done',
      counts: emptyCounts(own + inRequest),
      requests: [{ requestId: 'r', workflowId: 'request-r', devices: inRequest, requestIdKnown: true }],
    };
    const handle = (id: string) => ({
      describe: async () => ({ status: { name: 'COMPLETED' } }),
      result: async () => progress,
      query: async (_query: unknown, { offset, limit }: { offset: number; limit: number }) => {
        asked.push(`${id} ${offset}`);
        return (id === 'j' ? job : request).slice(offset, offset + Math.min(limit, most));
      },
    });
    return { workflow: { getHandle: handle } } as unknown as Client;
  }
  async function read(own: number, inRequest: number, most: number) {
    const asked: string[] = [];
    const pages: number[] = [];
    const keys = new Set<string>();
    for await (const page of new ActivationClient(clampingClient(own, inRequest, most, asked), 'q', store).report(
      'j',
    )) {
      pages.push(page.length);
      for (const row of page) keys.add(row.key);
    }
    return { asked, pages, devices: keys.size };
  }

  it('asks a new worker once per 5,000 devices and hands out pages of 500', async () => {
    expect(await read(700, 1_200, 10_000)).toEqual({
      asked: ['j 0', 'request-r 0'],
      pages: [500, 200, 500, 500, 200],
      devices: 1_900,
    });
    expect(await read(5_200, 10_000, 10_000)).toMatchObject({
      asked: ['j 0', 'j 5000', 'request-r 0', 'request-r 5000'],
      devices: 15_200,
    });
  });

  it('reads everything from an older worker that answers 500 at most', async () => {
    expect(await read(700, 1_200, 500)).toEqual({
      asked: ['j 0', 'j 500', 'request-r 0', 'request-r 500', 'request-r 1000'],
      pages: [500, 200, 500, 500, 200],
      devices: 1_900,
    });
  });

  it('asks once more only when an answer of exactly 500 may have more behind it', async () => {
    expect((await read(500, 500, 10_000)).asked).toEqual(['j 0', 'j 500', 'request-r 0']);
    expect((await read(5_000, 5_000, 10_000)).asked).toEqual(['j 0', 'j 5000', 'request-r 0']);
  });
});
