/**
 * The simulator's own cost for the million-device case's activations, alone: one account kept as a block (as the
 * bench's), activate requests of 10,000 devices, callbacks sent as they come due to a bare node:http listener in its
 * own process. Prints the simulator's CPU per device, its collector's pauses and the heap its records keep: the
 * stand-in shares the bench's two cores with our processes, so whatever it spends comes off the product's figure.
 * Run with the bench's simulator flags (bench/stack.ts):
 *
 *   NODE_OPTIONS='--max-old-space-size=8192 --max-semi-space-size=64 --expose-gc' npx tsx bench/simulator-load.ts [--devices 1000000]
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { DEFAULT_ACCOUNT, DEFAULT_APP, DEFAULT_USER, blockDeviceIds, startSimulator } from '../src/simulator/index.js';
import { openSimulatorSession, startChildListener } from './simulator-client.js';

// As bench/stack.ts starts the simulator (a Node flag NODE_OPTIONS refuses).
setFlagsFromString('--no-memory-reducer');

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000000' },
    concurrency: { type: 'string', default: '256' },
  },
});
const devices = Number(values.devices);
const PER_REQUEST = 10_000;
const PREFIX = '99999';

const listener = await startChildListener();

const sim = await startSimulator({
  seed: {
    apps: [DEFAULT_APP],
    users: [{ ...DEFAULT_USER, accountNames: [DEFAULT_ACCOUNT] }],
    accounts: [DEFAULT_ACCOUNT],
    devices: [],
    blocks: [{ accountName: DEFAULT_ACCOUNT, count: devices * 2, prefix: PREFIX, state: 'pre-active' }],
  },
  config: {
    activationDelayMs: 100,
    callbackDelayMs: 0,
    callbackConcurrency: Number(values.concurrency),
    activateRateLimit: { max: 1_000_000 },
  },
});

/** The heap after a full collection when `--expose-gc` allows one, so the figure is what the records keep. */
function liveHeap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return getHeapStatistics().used_heap_size;
}

const gcPauses = new Map<string, { count: number; ms: number }>();
const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = KINDS[(entry as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
    const total = gcPauses.get(kind) ?? { count: 0, ms: 0 };
    total.count++;
    total.ms += entry.duration;
    gcPauses.set(kind, total);
  }
});

try {
  const { client, headers } = await openSimulatorSession(sim.url, listener.url);

  const heapBefore = liveHeap();
  observer.observe({ entryTypes: ['gc'] });
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  for (let from = 0; from < devices; from += PER_REQUEST) {
    const body = {
      devices: Array.from({ length: Math.min(PER_REQUEST, devices - from) }, (_, k) => ({
        deviceIds: blockDeviceIds(PREFIX, from + k),
      })),
      accountName: DEFAULT_ACCOUNT,
      servicePlan: '4G-IoT-1GB',
      mdnZipCode: '98801',
    };
    await client.post('m2m/v1/devices/actions/activate', { headers, json: body });
  }
  await sim.admin.settled();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  observer.disconnect();
  const stats = sim.admin.callbackStats();
  const heapAfter = liveHeap();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${devices.toLocaleString('en-US')} devices in ${devices / PER_REQUEST} requests: ${seconds.toFixed(1)} s, ` +
      `${cpuSeconds.toFixed(1)} CPU-s of this process (${((cpuSeconds / devices) * 1e6).toFixed(1)} µs a device; ` +
      `the bodies it builds and sends are the load generator's share), ` +
      `${stats.acknowledged.toLocaleString('en-US')} callbacks acknowledged, ${stats.failedSends} failed sends`,
  );
  console.log(
    `heap used after: ${Math.round(heapAfter / 2 ** 20)} MB, ` +
      `${Math.round((heapAfter - heapBefore) / devices)} bytes a device more than before`,
  );
  for (const [kind, { count, ms }] of gcPauses) console.log(`  ${kind}: ${count} pauses, ${(ms / 1000).toFixed(1)} s`);
} finally {
  await sim.close();
  await listener.stop();
}
