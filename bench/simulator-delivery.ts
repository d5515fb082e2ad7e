/**
 * Measures how many callbacks a second the simulator delivers to a bare node:http listener running in its own
 * process (so the two do not share one event loop). Callbacks are queued while delivery is paused, then timed from
 * resume until the last one is acknowledged: the figure is delivery alone, not activation bookkeeping. Also the
 * simulator's CPU per callback (this process's, over the same span), steadier than the rate on a shared machine.
 *
 *   npx tsx bench/simulator-delivery.ts [--devices 20000] [--concurrency 64] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { DEFAULT_ACCOUNT, generateSeed, startSimulator } from '../src/simulator/index.js';
import { openSimulatorSession, startChildListener } from './simulator-client.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
  },
});
const devicesPerRound = Number(values.devices);
const rounds = Number(values.rounds);

const listener = await startChildListener();

const seed = generateSeed({
  count: devicesPerRound * rounds,
  nbIotShare: 0,
  stateWeights: { 'pre-active': 1, preactive: 0, active: 0, deactive: 0, suspend: 0 },
});
const sim = await startSimulator({
  seed,
  config: {
    activationDelayMs: 0,
    callbackDelayMs: 0,
    callbackConcurrency: Number(values.concurrency),
    activateRateLimit: { max: 1_000_000 },
    listPageSize: 10_000,
  },
});

try {
  const { client, headers } = await openSimulatorSession(sim.url, listener.url);

  const rates: number[] = [];
  const cpuPerCallback: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const batch = seed.devices.slice(round * devicesPerRound, (round + 1) * devicesPerRound);
    sim.admin.pauseCallbacks();
    for (let i = 0; i < batch.length; i += 10_000) {
      const devices = batch.slice(i, i + 10_000).map((d) => ({
        deviceIds: d.deviceIds.map((id) => ({ kind: id.kind.toLowerCase(), id: id.id })),
      }));
      await client.post('m2m/v1/devices/actions/activate', {
        headers,
        json: { devices, accountName: DEFAULT_ACCOUNT, servicePlan: '4G-IoT-1GB', mdnZipCode: '98801' },
      });
    }
    while (sim.admin.callbackStats().pendingActivations > 0) await new Promise((r) => setTimeout(r, 10));
    const before = sim.admin.callbackStats().acknowledged;
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    sim.admin.resumeCallbacks();
    await sim.admin.settled();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const delivered = sim.admin.callbackStats().acknowledged - before;
    const rate = delivered / seconds;
    rates.push(rate);
    cpuPerCallback.push((cpu.user + cpu.system) / delivered);
    console.log(
      `round ${round + 1}: ${delivered} callbacks acknowledged in ${seconds.toFixed(2)} s = ${Math.round(rate)}/s, ` +
        `${cpuPerCallback.at(-1)!.toFixed(1)} µs of simulator CPU each (${(cpu.system / delivered).toFixed(1)} µs of it in the kernel)`,
    );
  }
  const stats = sim.admin.callbackStats();
  console.log(
    `concurrency ${values.concurrency}: best ${Math.round(Math.max(...rates))}/s, median ${Math.round(rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)]!)}/s; ` +
      `median ${cpuPerCallback.sort((a, b) => a - b)[Math.floor(cpuPerCallback.length / 2)]!.toFixed(1)} µs of CPU a callback; failed sends ${stats.failedSends}`,
  );
} finally {
  await sim.close();
  await listener.stop();
}
