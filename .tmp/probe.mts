import { startActivationFixture, seedDevice, ACTIVATION, DEFAULT_ACCOUNT } from '../test/harness/activation.ts';
import { ManualScheduler } from '../src/simulator/index.ts';
const seeds = Array.from({ length: 20 }, (_, i) => seedDevice(260_000 + i));
const f = await startActivationFixture(seeds, { activationDelayMs: 7200000, callbackDelayMs: 1000 }, { scheduler: new ManualScheduler() });
f.sim.admin.scheduleFault({ kind: 'ambiguous-drop', route: 'activate', count: 1 });
for (const chunk of [seeds.slice(0, 10), seeds.slice(10)]) {
  const t = Date.now();
  try {
    const r = await f.thingspace.activate({ ...ACTIVATION, accountName: DEFAULT_ACCOUNT, devices: chunk.map((d) => ({ deviceIds: d.deviceIds })) });
    console.log('ok', r, Date.now() - t);
  } catch (e) { console.log('err', (e as Error).name, (e as any).ambiguous, (e as Error).message, Date.now() - t); }
}
await f.close();
