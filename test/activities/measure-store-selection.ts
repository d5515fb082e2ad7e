/**
 * `node --max-old-space-size=256 --import tsx test/activities/measure-store-selection.ts [devices] [listed]`: how
 * much memory storeSelection takes to write a selection of a million devices (default; 50,000 of them also listed),
 * under the worker's heap limit (WORKER_HEAP_MB), and how long, over a fake list endpoint of 500-device pages and a
 * directory store. The README's figure comes from this. Not a test: nothing fails.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { storeSelection, type StoredSelection } from '../../src/activities/store-selection.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import type { ThingSpaceClient } from '../../src/thingspace/client.js';

const N = Number(process.argv[2] ?? 1_000_000);
const LISTED = Number(process.argv[3] ?? 50_000);
const ids = (n: number) => [
  { kind: 'imei', id: `35${String(n).padStart(13, '0')}` },
  { kind: 'iccid', id: `8914${String(n).padStart(16, '0')}` },
];
const fake = {
  async *listDevicesPages(request: { largestDeviceIdSeen?: string }) {
    const from = request.largestDeviceIdSeen === undefined ? 0 : Number(request.largestDeviceIdSeen) + 1;
    const to = Math.min(N, from + 500);
    yield {
      devices: Array.from({ length: to - from }, (_, i) => ({
        deviceIds: ids(from + i),
        extendedAttributes: [{ key: 'DeviceId', value: String(from + i) }],
      })),
      more: to < N,
    };
  },
} as unknown as ThingSpaceClient;

let peakRss = 0;
let peakHeap = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
};
const timer = setInterval(sample, 20);
const dir = await mkdtemp(join(tmpdir(), 'measure-sel-'));
const store = new FileBlobStore(dir);
const listed = Array.from({ length: LISTED }, (_, i) => ({ deviceIds: ids(i * 7) }));
const base = process.memoryUsage();
const started = Date.now();
const result: StoredSelection = await new MockActivityEnvironment().run(() =>
  storeSelection(fake, store, { jobId: 'measure', accountName: 'a', groupName: 'g', devices: listed }),
);
sample();
clearInterval(timer);
const listBytes = (await store.get(result.deviceList)).length;
console.log(
  JSON.stringify({
    devices: N,
    listed: LISTED,
    result,
    listBytes,
    seconds: (Date.now() - started) / 1000,
    baseRssMB: Math.round(base.rss / 1e6),
    peakRssMB: Math.round(peakRss / 1e6),
    baseHeapPlusBuffersMB: Math.round((base.heapUsed + base.arrayBuffers) / 1e6),
    peakHeapPlusBuffersMB: Math.round(peakHeap / 1e6),
  }),
);
await rm(dir, { recursive: true, force: true });
