/** The stage activity on its own, over a real directory store: parts, one-part lists, and the list's rules. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { decodeDeviceList, encodeDeviceList } from '../../src/activation/device-list.js';
import { partKey, stageDeviceList, type StagedDeviceList } from '../../src/activities/stage-device-list.js';
import { INVALID_JOB_REQUEST } from '../../src/activities/validate-job.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import { jobDevice, seedDevice } from '../harness/activation.js';

let dir: string;
let store: FileBlobStore;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stage-'));
  store = new FileBlobStore(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const devices = (n: number, from = 1) => Array.from({ length: n }, (_, i) => jobDevice(seedDevice(from + i)));
type StageInput = Parameters<typeof stageDeviceList>[1];
const runStage = (input: StageInput): Promise<StagedDeviceList> =>
  new MockActivityEnvironment().run((i: StageInput) => stageDeviceList(store, i), input);
/** Stores an encoded list under a fresh key and returns the key. */
const storeList = async (encoded: Uint8Array): Promise<string> => {
  const deviceList = `device-lists/test-${Math.random().toString(36).slice(2)}`;
  await store.put(deviceList, encoded);
  return deviceList;
};
const stage = async (
  list: unknown[],
  partSize: number,
  rules: { carrierIpPoolName?: string; maxParts?: number } = {},
): Promise<StagedDeviceList> =>
  runStage({ jobId: 'stage-job', deviceList: await storeList(encodeDeviceList(list)), partSize, ...rules });
const failure = (promise: Promise<StagedDeviceList | unknown>) =>
  promise.then(
    () => {
      throw new Error('staged a list that breaks a rule');
    },
    (err: unknown) => err as ApplicationFailure,
  );

describe('stageDeviceList', () => {
  it('cuts a long list into parts in list order, each stored as a list of its own', async () => {
    const list = devices(25);
    const staged = await stage(list, 10);
    expect(staged).toEqual({
      total: 25,
      parts: [1, 2, 3].map((n) => ({ deviceList: partKey('stage-job', n), devices: n === 3 ? 5 : 10 })),
    });
    const stored = await Promise.all(
      [1, 2, 3].map(async (n) => decodeDeviceList(await store.get(partKey('stage-job', n)))),
    );
    expect(stored.flat()).toEqual(list);
  });

  it('hands back a list of exactly one part as devices, writing nothing', async () => {
    const list = devices(10, 100);
    expect(await stage(list, 10)).toEqual({ total: 10, devices: list });
  });

  it('refuses, naming device and line, a repeat in another part, a broken device and a missing IP pool', async () => {
    const list: unknown[] = devices(30, 200);
    list.push({ ...jobDevice(seedDevice(205)), nbIot: true });
    const repeat = await failure(stage(list, 10));
    expect(repeat).toMatchObject({ type: INVALID_JOB_REQUEST, nonRetryable: true });
    expect(repeat.message).toMatch(/devices\[30\]: device repeats imei of devices\[5\]/);

    const broken = await failure(stage([...devices(3, 300), { deviceIds: [{ kind: 'imei', id: 'abc' }] }], 10));
    expect(broken.message).toMatch(/devices\[3\]\.deviceIds\[0\]\.id: .* \(line 4\)/);

    const withAddress = [{ ...jobDevice(seedDevice(400)), ipAddress: '10.0.0.1' }];
    expect((await failure(stage(withAddress, 10))).message).toMatch(/activation\.carrierIpPoolName/);
    expect(await stage(withAddress, 10, { carrierIpPoolName: 'pool-1' })).toMatchObject({ total: 1 });
  });

  it("reads a list across the stream's chunks: CRLF, blank lines, and the exact line of a device deep in it", async () => {
    // 3,000 devices are about 300 KB of text: the gunzip stream hands it over in many 16 KB chunks, which split lines.
    const list = devices(3_000, 1_000);
    // CRLF endings, and a blank line after every seventh device.
    const crlfText = (items: unknown[]) =>
      items.map((item, i) => JSON.stringify(item) + (i % 7 === 0 ? '\r\n\r\n' : '\r\n')).join('');
    const text = crlfText(list);
    expect(text.split('\n').length).toBeGreaterThan(3_400);
    for (const encoded of [Buffer.from(text), gzipSync(text)]) {
      const staged = await runStage({ jobId: 'stage-chunks', deviceList: await storeList(encoded), partSize: 1_000 });
      expect(staged).toMatchObject({
        total: 3_000,
        parts: [{ devices: 1_000 }, { devices: 1_000 }, { devices: 1_000 }],
      });
      const stored = await Promise.all(
        [1, 2, 3].map(async (n) => decodeDeviceList(await store.get(partKey('stage-chunks', n)))),
      );
      expect(stored.flat()).toEqual(list);
      expect(await decodeDeviceList(encoded)).toEqual(list);
    }
    // devices[2500] broken: its line is 2,501 plus the 358 blank lines after every seventh device before it.
    const broken = list.map((device, i) => (i === 2_500 ? { deviceIds: [{ kind: 'imei', id: 'abc' }] } : device));
    const refused = await failure(
      runStage({
        jobId: 'stage-chunks-broken',
        deviceList: await storeList(gzipSync(crlfText(broken))),
        partSize: 1_000,
      }),
    );
    expect(refused.message).toMatch(/devices\[2500\]\.deviceIds\[0\]\.id: .* \(line 2859\)/);
  });

  it("takes a part its job's stage wrote as it stands, still applying the part job's IP-pool rule", async () => {
    const list = [...devices(4, 500), { ...jobDevice(seedDevice(504)), ipAddress: '10.0.0.2' }];
    const staged = await stage(list, 3, { carrierIpPoolName: 'pool-1' });
    expect(staged).toMatchObject({ total: 5, parts: [{ devices: 3 }, { devices: 2 }] });
    const partOf = (rules: { carrierIpPoolName?: string }) =>
      runStage({ jobId: 'stage-job-part-2', deviceList: partKey('stage-job', 2), partSize: 3, ...rules });
    expect(await partOf({ carrierIpPoolName: 'pool-1' })).toEqual({ total: 2, devices: list.slice(3) });
    const refused = await failure(partOf({}));
    expect(refused).toMatchObject({ type: INVALID_JOB_REQUEST, nonRetryable: true });
    expect(refused.message).toMatch(/deviceList job-parts\/stage-job\/2: activation\.carrierIpPoolName/);
  });

  it('tells a missing list apart, naming the store', async () => {
    const missing = await failure(runStage({ jobId: 'j', deviceList: 'device-lists/absent', partSize: 10 }));
    expect(missing).toMatchObject({ type: 'DeviceListNotFound', nonRetryable: true });
    expect(missing.message).toContain(dir);
  });

  it('refuses a list cut into more parts than a job runs, naming maxDevicesPerRequest, and writes no part past them', async () => {
    const jobId = 'stage-too-many-parts';
    const deviceList = await storeList(encodeDeviceList(devices(31)));
    const error = await failure(runStage({ jobId, deviceList, partSize: 10, maxParts: 3 }));
    expect(error).toMatchObject({ type: INVALID_JOB_REQUEST, nonRetryable: true });
    expect(error.message).toMatch(
      /^options\.maxDevicesPerRequest must be at least 1 for this list of 31 devices: in parts of 10 it makes 4 parts, and a job runs at most 3 /,
    );
    await expect(store.get(partKey(jobId, 4))).rejects.toThrow();
    // Exactly as many parts as allowed is fine.
    expect(await stage(devices(30), 10, { maxParts: 3 })).toMatchObject({ total: 30, parts: [{}, {}, {}] });
  });

  it("takes a part its parent cut whole even when larger than this job's part size", async () => {
    const list = devices(12);
    const deviceList = partKey('stage-parent', 1);
    await store.put(deviceList, encodeDeviceList(list));
    expect(await runStage({ jobId: 'stage-parent~part-1', deviceList, partSize: 5 })).toEqual({
      total: 12,
      devices: list,
    });
  });
});
