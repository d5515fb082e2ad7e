/**
 * CPU a part of 10,000 devices costs the worker outside ThingSpace calls: its look-up plan (made by every check and
 * poll) and its job's stage of the part list. In-process, CPU time of this process, per device; run it on two
 * commits in turn to compare them (the machine is shared: compare ratios from one sitting, not absolute figures).
 *
 *   npx tsx bench/part-work.ts [--devices 10000] [--rounds 20]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { encodeDeviceList } from '../src/activation/device-list.js';
import { planLookup } from '../src/activities/lookup-plan.js';
import { partKey, stageDeviceList } from '../src/activities/stage-device-list.js';
import { FileBlobStore } from '../src/storage/file-blob-store.js';

const { values } = parseArgs({
  options: { devices: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '20' } },
});
const count = Number(values.devices);
const rounds = Number(values.rounds);

// Consecutive serials, as a batch of devices from one order comes.
const devices = Array.from({ length: count }, (_, i) => {
  const serial = String(1_000_000 + i).padStart(7, '0');
  return {
    deviceIds: [
      { kind: 'imei', id: `35000000${serial}` },
      { kind: 'iccid', id: `8914000000000${serial}` },
    ],
  };
});
const refs = devices.map((d) => ({ key: `imei:${d.deviceIds[0]!.id}`, deviceIds: d.deviceIds }));

/** CPU µs per device of `fn` over `rounds` runs, after two warm-up runs. */
async function cpuPerDevice(fn: () => unknown): Promise<number> {
  for (let i = 0; i < 2; i++) await fn();
  const start = process.cpuUsage();
  for (let i = 0; i < rounds; i++) await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / rounds / count;
}

const dir = await mkdtemp(join(tmpdir(), 'part-work-'));
try {
  const store = new FileBlobStore(dir);
  const deviceList = partKey('bench-job', 1);
  await store.put(deviceList, encodeDeviceList(devices));
  const env = new MockActivityEnvironment();
  const plan = await cpuPerDevice(() => planLookup(refs));
  const stage = await cpuPerDevice(() =>
    env.run(stageDeviceList, store, { jobId: 'bench-job-part-1', deviceList, partSize: count }),
  );
  console.log(
    `${count} devices, ${rounds} rounds: look-up plan ${plan.toFixed(2)} µs/device, part stage ${stage.toFixed(2)} µs/device`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
