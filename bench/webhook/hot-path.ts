/**
 * `npx tsx bench/webhook/hot-path.ts [--callbacks 20000] [--concurrency 256] [--signal-ms 10] [--alloc]
 * [--compare <checkout> --rounds 3]`: the
 * webhook's own CPU per callback (HTTP, JSON, auth, validation, rate limit, batching, metrics, response) against
 * the bare listener's, each server in its own process with a stand-in for Temporal that accepts every signal after
 * --signal-ms. No Temporal, no worker: on a shared 2-core machine this isolates what src/webhook costs from what
 * `npm run bench:webhook` also measures (Temporal's and the worker's CPU). `--alloc` adds bytes allocated per
 * callback by area. `--compare` also runs the webhook of another checkout (e.g. an export of the base commit with
 * a node_modules link), interleaved with this one's round by round, since the machine's load moves between runs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SERVICE_PATHS } from '../../src/webhook/paths.js';
import { callbackBody } from './callbacks.js';
import { runLoad } from './load.js';

const { values: args } = parseArgs({
  options: {
    callbacks: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '256' },
    'signal-ms': { type: 'string', default: '10' },
    alloc: { type: 'boolean', default: false },
    compare: { type: 'string' },
    rounds: { type: 'string', default: '1' },
  },
});
const CALLBACKS = Number(args.callbacks);
const CONCURRENCY = Number(args.concurrency);
const PATH = SERVICE_PATHS.CarrierService;
const SERVER = fileURLToPath(new URL('./hot-path-server.ts', import.meta.url));

interface Stopped {
  cpuUs: number;
  gcMs: number;
  allocations?: { area: string; bytes: number }[];
}

async function message<T>(child: ChildProcess): Promise<T> {
  const [value] = (await once(child, 'message')) as [T];
  return value;
}

async function measure(kind: 'bare' | 'webhook', root?: string) {
  const child = fork(SERVER, [kind], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      SIGNAL_MS: args['signal-ms'],
      ALLOC: args.alloc ? '1' : '0',
      ...(root !== undefined && { WEBHOOK_ROOT: root }),
    },
  });
  try {
    const { port } = await message<{ port: number }>(child);
    const origin = `http://127.0.0.1:${port}`;
    const requestId = randomUUID();
    const bodies = Array.from({ length: CALLBACKS }, (_, n) => callbackBody(requestId, 1, n));
    await runLoad(origin, PATH, bodies.slice(0, 4_000), CONCURRENCY);
    child.send('start');
    const result = await runLoad(origin, PATH, bodies, CONCURRENCY);
    const stoppedAt = message<Stopped>(child);
    child.send('stop');
    return { result, ...(await stoppedAt) };
  } finally {
    child.send('exit');
    await once(child, 'exit');
  }
}

type Run = Awaited<ReturnType<typeof measure>>;
const runs: { name: string; run: Run }[] = [];
for (let round = 0; round < Number(args.rounds); round++) {
  runs.push({ name: 'bare listener', run: await measure('bare') });
  if (args.compare) runs.push({ name: `webhook of ${args.compare}`, run: await measure('webhook', args.compare) });
  runs.push({ name: 'webhook (this checkout)', run: await measure('webhook') });
}
const us = (cpuUs: number) => (cpuUs / CALLBACKS).toFixed(1);
console.log(`${CALLBACKS} callbacks, ${CONCURRENCY} senders, stand-in signal ${args['signal-ms']} ms`);
for (const { name, run } of runs) {
  console.log(
    `${name.padEnd(34)} ${us(run.cpuUs).padStart(6)} µs CPU / callback, ` +
      `GC ${us(run.gcMs * 1000).padStart(5)} µs, ${Math.round(run.result.perSecond)} callbacks/s, ${run.result.failed} not 2xx`,
  );
}
const hook = runs.at(-1)?.run;
if (hook?.allocations) {
  const total = hook.allocations.reduce((s, a) => s + a.bytes, 0);
  console.log(`\nwebhook: ${(total / CALLBACKS / 1024).toFixed(1)} KB allocated per callback (sampled), by area:`);
  for (const { area, bytes } of hook.allocations.slice(0, 30)) {
    console.log(`${(bytes / CALLBACKS).toFixed(0).padStart(8)} B  ${area}`);
  }
}
