/**
 * The bare baseline, run as its own process by `npm run bench`: the same ThingSpace client and the same steps as a
 * job — list the account to check the devices' states, activate the ready ones in requests of up to 10,000, collect
 * one callback per device — with no Temporal: state in memory, callbacks taken by a bare node:http listener. What
 * it lacks (surviving a crash, never resending an accepted request, never losing an acknowledged callback) is what
 * the difference to the Temporal cases buys.
 *
 * Env: THINGSPACE_* (as the worker), CALLBACK_USERNAME, CALLBACK_PASSWORD, BASELINE_SEED_FILE, BASELINE_ACCOUNT.
 * Prints one line `result <json>` and exits.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACTIVATABLE_STATES } from '../src/activities/check-devices.js';
import { registerCallbacks } from '../src/cli/register-callbacks.js';
import type { SimulatorSeed } from '../src/simulator/index.js';
import { ThingSpaceClient } from '../src/thingspace/client.js';
import { configFromEnv } from '../src/thingspace/config.js';
import { ThingSpaceError } from '../src/thingspace/errors.js';
import { buildDeviceKeyIndex, deviceKey, matchDeviceKey } from '../src/thingspace/schemas/device-key.js';
import { deviceState } from '../src/thingspace/schemas/devices.js';
import { MAX_DEVICES_PER_ACTIVATE } from '../src/thingspace/schemas/limits.js';
import { callbackCredentialsFromEnv } from '../src/webhook/config.js';
import { startBareListener } from './bare-listener.js';

export interface BaselineResult {
  devices: number;
  activated: number;
  wallSeconds: number;
  checkSeconds: number;
  submitSeconds: number;
  callbackSeconds: number;
  callbacksPerSecond: number;
  peakRssBytes: number;
}

const accountName = process.env.BASELINE_ACCOUNT as string;
const seed = JSON.parse(await readFile(process.env.BASELINE_SEED_FILE as string, 'utf8')) as SimulatorSeed;
const jobDevices = seed.devices.filter((d) => d.accountName === accountName).map((d) => d.deviceIds);
const credentials = callbackCredentialsFromEnv();
const client = new ThingSpaceClient({ ...configFromEnv(), accountName });

interface Callback {
  username?: string;
  password?: string;
  status?: string;
  deviceIds?: { kind: string; id: string }[];
}
const outcomes = new Map<string, string>();
let firstCallback = NaN;
let allIn: () => void = () => {};
const done = new Promise<void>((resolve) => (allIn = resolve));
const listener = await startBareListener((body) => {
  const callback = body as Callback;
  if (callback.username !== credentials.username || callback.password !== credentials.password) return;
  const key = deviceKey(callback.deviceIds ?? []);
  if (key === undefined) return;
  if (Number.isNaN(firstCallback)) firstCallback = performance.now();
  outcomes.set(key, callback.status ?? '');
  if (outcomes.size === jobDevices.length) allIn();
});
await registerCallbacks(client, { url: `http://127.0.0.1:${listener.port}`, credentials, accountName });

const started = performance.now();
const index = buildDeviceKeyIndex(jobDevices);
const ready = new Set<string>();
for await (const page of client.listDevicesPages({ accountName })) {
  for (const device of page.devices) {
    const key = matchDeviceKey(index, device.deviceIds ?? []);
    if (key !== undefined && ACTIVATABLE_STATES.has(deviceState(device) ?? '')) ready.add(key);
  }
}
const checked = performance.now();

const toSubmit = jobDevices.filter((ids) => ready.has(deviceKey(ids) ?? ''));
for (let offset = 0; offset < toSubmit.length; offset += MAX_DEVICES_PER_ACTIVATE) {
  const devices = toSubmit.slice(offset, offset + MAX_DEVICES_PER_ACTIVATE).map((deviceIds) => ({ deviceIds }));
  for (;;) {
    try {
      await client.activate({ accountName, servicePlan: '4G-IoT-1GB', mdnZipCode: '98801', devices });
      break;
    } catch (err) {
      // Only the clear refusal of the rate limit is retried; anything else ends the baseline (no durability here).
      if (!(err instanceof ThingSpaceError) || err.status !== 429) throw err;
      await sleep(err.retryAfterMs ?? 1_000);
    }
  }
}
const submitted = performance.now();
await done;
const finished = performance.now();
await listener.close();
await client.logout().catch(() => undefined);

const result: BaselineResult = {
  devices: jobDevices.length,
  activated: [...outcomes.values()].filter((status) => status === 'Success').length,
  wallSeconds: (finished - started) / 1000,
  checkSeconds: (checked - started) / 1000,
  submitSeconds: (submitted - checked) / 1000,
  callbackSeconds: (finished - submitted) / 1000,
  callbacksPerSecond: outcomes.size / ((finished - firstCallback) / 1000),
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
};
console.log(`result ${JSON.stringify(result)}`);
process.exit(0);
