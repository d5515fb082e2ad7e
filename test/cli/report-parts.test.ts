/**
 * How ActivationClient.report reads a job cut into parts, over a fake Temporal client that answers the job's
 * queries: a failed part unresolved, an unstarted part pending while the job runs and skipped once it was
 * cancelled, each read from the part's stored list.
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

/** A client whose workflows answer only the job queries, with the parent's progress as given. */
function fakeClient(phase: JobPhase, parts: JobPartSummary[]): Client {
  const progress: JobProgress = { jobId: 'j', phase, counts: emptyCounts(3), requests: [], parts };
  const handle = {
    query: async (query: { name: string }): Promise<JobProgress | DeviceReport[]> =>
      query.name === 'progress' ? progress : [],
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
