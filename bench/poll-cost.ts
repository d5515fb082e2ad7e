/**
 * What one poll round costs ThingSpace when every device of a job is still open (its callbacks lost): each request
 * workflow polls on its own (what the product does), against one round for the whole job (what issue 12 asks for;
 * not built). List calls are the look-up plans' estimates; history look-ups follow the request workflow's rule:
 * every open device once per callback window, and at least MIN_HISTORY_LOOKUPS a poll, for the whole job since the
 * 'history-share' patch (each request its share by size), for each request before. No ThingSpace, no Temporal:
 *
 *   npx tsx bench/poll-cost.ts [--devices 10000]
 */
import { parseArgs } from 'node:util';
import { planLookup } from '../src/activities/lookup-plan.js';
import { deviceKey } from '../src/thingspace/schemas/device-key.js';
import { DEFAULT_CALLBACK_TIMEOUT, DEFAULT_POLL_INTERVAL, MIN_HISTORY_LOOKUPS } from '../src/workflows/request.js';
import { msToNumber } from '@temporalio/common';

const { values } = parseArgs({ options: { devices: { type: 'string', default: '10000' } } });
const count = Number(values.devices);
const roundsPerWindow = msToNumber(DEFAULT_CALLBACK_TIMEOUT) / msToNumber(DEFAULT_POLL_INTERVAL);

/** Devices `step` serials apart: 1 for one batch of consecutive serials, more for a fleet spread over many. */
function fleet(step: number) {
  return Array.from({ length: count }, (_, i) => {
    const serial = String(1_000_000 + i * step).padStart(7, '0');
    const deviceIds = [
      { kind: 'imei', id: `35000000${serial}` },
      { kind: 'iccid', id: `8914000000000${serial}` },
    ];
    return { key: deviceKey(deviceIds)!, deviceIds };
  });
}

/** A request's history look-ups a poll: the workflow's rule, with the job's minimum shared (jobDevices) or not. */
function historyLookups(size: number, jobDevices?: number): number {
  const min =
    jobDevices && jobDevices > size ? Math.ceil((MIN_HISTORY_LOOKUPS * size) / jobDevices) : MIN_HISTORY_LOOKUPS;
  return Math.min(size, Math.max(min, Math.ceil(size / roundsPerWindow)));
}

console.log(
  `| ${count.toLocaleString('en-US')} open devices | requests of | list calls: per request / one round | history look-ups: per request before the share / now / one round |`,
);
console.log('| --- | ---: | ---: | ---: |');
for (const [name, step] of [
  ['consecutive serials', 1],
  ['1 serial in 97', 97],
] as const) {
  const devices = fleet(step);
  const whole = planLookup(devices).estimatedCalls;
  for (const size of [100, 500, 2_500, 10_000].filter((s) => s <= count)) {
    let calls = 0;
    let before = 0;
    let shared = 0;
    for (let offset = 0; offset < count; offset += size) {
      const request = devices.slice(offset, offset + size);
      calls += planLookup(request).estimatedCalls;
      before += historyLookups(request.length);
      shared += historyLookups(request.length, count);
    }
    console.log(
      `| ${name} | ${size.toLocaleString('en-US')} | ${calls.toLocaleString('en-US')} / ${whole.toLocaleString('en-US')} | ${before.toLocaleString('en-US')} / ${shared.toLocaleString('en-US')} / ${historyLookups(count).toLocaleString('en-US')} |`,
    );
  }
}
