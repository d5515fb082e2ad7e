/**
 * How fast this machine is at the moment: the same CPU-bound work every time, timed in CPU milliseconds. The
 * virtual machine's speed moved the million-device case by up to 2× between hours with the same code
 * (bench/RESULTS.md), so every run carries this figure, taken before its first case and after its last: two runs
 * are comparable only when it is close. The work is what the bench's processes do all day: JSON of list-page-sized
 * objects, a hash map, gzip. It runs in a process of its own, whose heap is the same every time (the bench's own
 * grows through a run, and a bigger heap makes the same allocations cost more).
 *
 *   npx tsx bench/machine-speed.ts
 */
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** A list page of 500 devices, as the simulator sends it, always the same. */
function page(): string {
  return JSON.stringify({
    hasMoreData: true,
    devices: Array.from({ length: 500 }, (_, i) => ({
      accountName: '0000123456-00001',
      deviceIds: [
        { kind: 'imei', id: String(350_000_000_000_000 + i * 7) },
        { kind: 'iccid', id: String(89_148_000_000_000_000_000n + BigInt(i * 13)) },
      ],
      state: i % 3 === 0 ? 'active' : 'ready',
      connected: i % 2 === 0,
      carrierInformations: [{ carrierName: 'Verizon Wireless', servicePlan: '4G-IoT-1GB', state: 'ready' }],
      customFields: [{ key: 'CustomField2', value: `vend-${i % 17}` }],
      groupNames: ['4G West'],
    })),
  });
}

function round(text: string): number {
  const start = process.cpuUsage();
  for (let i = 0; i < 40; i++) {
    const parsed = JSON.parse(text) as { devices: { deviceIds: { id: string }[]; state: string }[] };
    const byId = new Map<string, string>();
    for (const device of parsed.devices) for (const { id } of device.deviceIds) byId.set(id, device.state);
    gzipSync(JSON.stringify(parsed));
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** CPU milliseconds of the reference work: the median of nine rounds, so that one odd round does not count. */
function referenceWorkMs(): number {
  const text = page();
  round(text); // compiled and warm before the rounds that count
  const rounds = Array.from({ length: 9 }, () => round(text)).sort((a, b) => a - b);
  return rounds[4] as number;
}

const SELF = fileURLToPath(import.meta.url);

/** The reference work's CPU milliseconds, measured in a fresh process. */
export function measureMachineSpeed(): number {
  const output = execFileSync(process.execPath, ['--import', 'tsx', SELF], { encoding: 'utf8' });
  const ms = /reference work: (\d+) ms/.exec(output)?.[1];
  if (ms === undefined) throw new Error(`bench/machine-speed.ts printed no figure: ${output}`);
  return Number(ms);
}

if (process.argv[1] === SELF) console.log(`reference work: ${referenceWorkMs().toFixed(0)} ms of CPU`);
