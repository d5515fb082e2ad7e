/**
 * storeSelection on its own (MockActivityEnvironment) against the simulator over HTTP and a real directory store:
 * the stored list holds the listed devices, then the selected ones not listed, each once; it resumes from its
 * heartbeat; it refuses a selection over the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { decodeDeviceList } from '../../src/activation/device-list.js';
import { MAX_DEVICES_PER_LIST, SELECTION_TOO_LARGE } from '../../src/activation/job-limits.js';
import { stageDeviceList } from '../../src/activities/stage-device-list.js';
import {
  selectionListKey,
  selectionSoFar,
  storeSelection,
  type StoreSelectionInput,
  type StoreSelectionLimits,
} from '../../src/activities/store-selection.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import { type DeviceId, deviceKey, deviceKeys } from '../../src/thingspace/schemas/device-key.js';
import { DEFAULT_ACCOUNT, jobDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { inGroup, matching, selectionDevice, selectionSeed } from '../harness/selection-seed.js';
import { countListCalls, runActivity } from './helpers.js';

const COUNT = 3_000;
const isNbIot = (n: number) => selectionDevice(n).type === 'NB-IoT';
const keyOf = (n: number) => deviceKey(selectionDevice(n).deviceIds)!;
/** Small chunks, so a group of ~2,000 devices is written in several and a retry has chunks to resume after. */
const CHUNK = 300;

type Listed = NonNullable<StoreSelectionInput['devices']>[number];
interface StoredDevice {
  deviceIds: DeviceId[];
  nbIot?: boolean;
  ipAddress?: string;
}

describe('storeSelection', () => {
  let fixture: ActivationFixture;
  let dir: string;
  let store: FileBlobStore;
  beforeAll(async () => {
    fixture = await startActivationFixture(selectionSeed(COUNT));
    dir = await mkdtemp(join(tmpdir(), 'store-selection-'));
    store = new FileBlobStore(dir);
  });
  afterAll(async () => {
    await fixture.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (
    input: StoreSelectionInput,
    options: {
      heartbeatDetails?: unknown;
      onHeartbeat?: (details: unknown) => void;
      limits?: StoreSelectionLimits;
    } = {},
  ) =>
    runActivity(() => storeSelection(fixture.thingspace, store, input, { chunkDevices: CHUNK, ...options.limits }), {
      heartbeatDetails: options.heartbeatDetails,
      ...(options.onHeartbeat && { onHeartbeat: options.onHeartbeat }),
    });
  const stored = async (jobId: string) =>
    (await decodeDeviceList(await store.get(selectionListKey(jobId)))) as StoredDevice[];

  it('writes the listed devices first, then every selected 4G device not listed, each once', async () => {
    const group = matching(COUNT, inGroup('4G West'));
    const fourG = group.filter((n) => !isNbIot(n));
    const [byImei, byIccidOnly, late] = [fourG[0]!, fourG[1]!, fourG.at(-1)!];
    const outside = matching(COUNT, (seed, n) => !inGroup('4G West')(seed) && !isNbIot(n))[0]!;
    const listed: Listed[] = [
      // A listed device keeps its own settings; the selection's entry for it is not written.
      { ...jobDevice(selectionDevice(byImei)), ipAddress: '10.1.2.3' },
      // Named by its ICCID alone, where the list names IMEI and ICCID: still the same device.
      { deviceIds: selectionDevice(byIccidOnly).deviceIds.filter((d) => d.kind === 'iccid') },
      jobDevice(selectionDevice(outside)),
      // Matched in the selection's last chunk, not its first.
      jobDevice(selectionDevice(late)),
    ];
    const jobId = 'store-selection-listed';
    const { value, calls } = await countListCalls(
      fixture.sim,
      () => call({ jobId, accountName: DEFAULT_ACCOUNT, groupName: '4G West', devices: listed }).result,
    );

    const list = await stored(jobId);
    expect(list.slice(0, listed.length)).toEqual(listed);
    const selected = list.slice(listed.length);
    const expected = fourG.filter((n) => ![byImei, byIccidOnly, late].includes(n));
    expect(selected.map((d) => deviceKey(d.deviceIds))).toEqual(expected.map(keyOf));
    expect(selected.some((d) => d.nbIot)).toBe(false);
    // Each device once, by any identifier.
    const keys = list.flatMap((d) => deviceKeys(d.deviceIds));
    expect(new Set(keys).size).toBe(keys.length);
    expect(value).toEqual({
      deviceList: selectionListKey(jobId),
      total: listed.length + expected.length,
      selection: {
        resolved: fourG.length,
        excludedNbIot: group.length - fourG.length,
        alsoListed: 3,
        listCalls: calls,
      },
    });
    expect(value.selection.excludedNbIot).toBeGreaterThan(0);
    expect(fourG.length).toBeGreaterThan(3 * CHUNK);

    // The list passes the rules of any stored list: staged into parts like one.
    const staged = await runActivity(() =>
      stageDeviceList(store, { jobId, deviceList: value.deviceList, partSize: 1_000, carrierIpPoolName: 'Pool1' }),
    ).result;
    expect(staged.total).toBe(value.total);
  });

  it('with includeNbIot: the NB-IoT devices come flagged, none counted as left out', async () => {
    const jobId = 'store-selection-nbiot';
    const fields = [{ key: 'CustomField1' as const, value: 'Blue' }];
    const value = await call({ jobId, accountName: DEFAULT_ACCOUNT, customFields: fields, includeNbIot: true }).result;
    const selected = matching(COUNT, (seed) =>
      (seed.customFields ?? []).some((c) => c.key === 'CustomField1' && c.value === 'Blue'),
    );
    const list = await stored(jobId);
    expect(list.map((d) => deviceKey(d.deviceIds))).toEqual(selected.map(keyOf));
    expect(list.filter((d) => d.nbIot).map((d) => deviceKey(d.deviceIds))).toEqual(selected.filter(isNbIot).map(keyOf));
    expect(value.selection).toMatchObject({ resolved: selected.length, excludedNbIot: 0, alsoListed: 0 });
  });

  it('an interrupted call resumes after its last chunk: list calls before + after = one whole call', async () => {
    const input = { jobId: 'store-selection-resume', accountName: DEFAULT_ACCOUNT, groupName: '4G West' };
    const whole = await countListCalls(fixture.sim, () => call(input).result);
    const wholeList = await stored(input.jobId);

    const before = fixture.sim.admin.listCalls();
    let chunksAtFault = 0;
    const first = call(input, {
      onHeartbeat: (details) => {
        const { chunks } = details as { chunks: number };
        // After the second chunk, break the next list call.
        if (chunks === 2 && chunksAtFault === 0) {
          chunksAtFault = chunks;
          fixture.sim.admin.scheduleFault({ kind: '5xx', route: 'list', count: 1 });
        }
      },
    });
    await expect(first.result).rejects.toThrow(/503|unavailable/i);
    const callsBefore = fixture.sim.admin.listCalls() - before;
    const last = first.heartbeats.at(-1) as { chunks: number; listCalls: number };
    expect(last).toMatchObject({ chunks: 2, exhausted: false });

    const retry = await countListCalls(fixture.sim, () => call(input, { heartbeatDetails: last }).result);
    expect(callsBefore).toBe(last.listCalls);
    expect(callsBefore + retry.calls).toBe(whole.calls);
    expect(retry.value).toEqual(whole.value);
    expect(await stored(input.jobId)).toEqual(wholeList);
  });

  it('heartbeats the selection so far after every page; a retry from such a beat still resumes after its chunk', async () => {
    const input = { jobId: 'store-selection-so-far', accountName: DEFAULT_ACCOUNT, groupName: '4G West' };
    // Chunks of 1,200 devices, pages of 500: most pages end no chunk.
    const limits = { chunkDevices: 1_200 };
    // Copied as they come: the activity beats its cursor object, which it updates after later chunks.
    const beats: unknown[] = [];
    const result = await call(input, { limits, onHeartbeat: (details) => beats.push(structuredClone(details)) }).result;
    const soFar = beats.map(selectionSoFar);
    expect(soFar.every((s) => s !== undefined)).toBe(true);
    const resolved = soFar.map((s) => s!.resolved);
    // One beat a page after the first (which repeats where it starts from), growing to the whole selection.
    expect(resolved).toEqual([...resolved].sort((a, b) => a - b));
    expect(soFar.at(-1)).toEqual({ ...result.selection, alsoListed: 0 });
    expect(soFar.at(-1)!.listCalls).toBe(beats.length - 1);

    // The first beat that is ahead of what the store holds: a retry takes only the chunks from it.
    const ahead = beats.find((beat) => (beat as { soFar?: unknown }).soFar !== undefined) as {
      chunks: number;
      listCalls: number;
    };
    expect(ahead).toBeDefined();
    const retry = await countListCalls(fixture.sim, () => call(input, { heartbeatDetails: ahead, limits }).result);
    expect(retry.value).toEqual(result);
    expect(retry.calls).toBe(result.selection.listCalls - ahead.listCalls);
  });

  it('refuses a selection over the limit, naming the rule, without paging through the rest', async () => {
    const group = matching(COUNT, inGroup('4G West'));
    const fourG = group.filter((n) => !isNbIot(n)).length;
    const input = { jobId: 'store-selection-large', accountName: DEFAULT_ACCOUNT, groupName: '4G West' };
    const whole = await countListCalls(fixture.sim, () => call(input).result);

    const refused = async (limits: StoreSelectionLimits, extra: Partial<StoreSelectionInput> = {}) => {
      const { value: error, calls } = await countListCalls(fixture.sim, () =>
        call({ ...input, ...extra }, { limits }).result.catch((e: unknown) => e),
      );
      expect(error).toBeInstanceOf(ApplicationFailure);
      expect((error as ApplicationFailure).type).toBe(SELECTION_TOO_LARGE);
      expect((error as ApplicationFailure).nonRetryable).toBe(true);
      return { message: (error as Error).message, calls };
    };
    // The selection alone is over: refused as soon as the pages say so.
    const early = await refused({ maxDevices: 500 });
    expect(early.message).toMatch(/selection: a job holds at most 500 devices \(listed plus selected\)/);
    expect(early.calls).toBeLessThan(whole.calls);

    // Listed devices outside the selection push it over; listed devices inside it do not.
    const outside = matching(COUNT, (seed, n) => !inGroup('4G West')(seed) && !isNbIot(n)).slice(0, 2);
    const inside = group.filter((n) => !isNbIot(n)).slice(0, 2);
    const devices = (numbers: number[]) => numbers.map((n) => jobDevice(selectionDevice(n)));
    const late = await refused({ maxDevices: fourG + 1 }, { devices: devices(outside) });
    expect(late.message).toMatch(`at most ${fourG + 1} devices`);
    const fits = await call({ ...input, devices: devices(inside) }, { limits: { maxDevices: fourG } }).result;
    expect(fits.total).toBe(fourG);

    // The rule the job runs with by default.
    expect(MAX_DEVICES_PER_LIST).toBe(1_000_000);
  });

  it('refuses a selection naming neither a group nor custom fields', async () => {
    const error = await call({ jobId: 'x', accountName: DEFAULT_ACCOUNT }).result.catch((e: unknown) => e);
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
    expect((error as Error).message).toMatch(/groupName or customFields is required/);
  });
});
