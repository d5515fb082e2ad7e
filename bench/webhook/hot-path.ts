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
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SERVICE_PATHS } from '../../src/webhook/paths.js';
import { callbackBody } from './callbacks.js';
import { runLoad } from './load.js';
import { formatAreas, summariseAreas } from './areas.js';

const { values: args } = parseArgs({
  options: {
    callbacks: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '256' },
    'signal-ms': { type: 'string', default: '10' },
    alloc: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    compare: { type: 'string' },
    rounds: { type: 'string', default: '1' },
  },
});
const CALLBACKS = Number(args.callbacks);
const CONCURRENCY = Number(args.concurrency);
const PATH = SERVICE_PATHS.CarrierService;
const SERVER = fileURLToPath(new URL('./hot-path-server.ts', import.meta.url));

interface Stopped {
  windowUs: { fromUs: number; toUs: number };
  cpuUs: number;
  gcMs: number;
  allocations?: { area: string; bytes: number }[];
}

async function message<T>(child: ChildProcess): Promise<T> {
  const [value] = (await once(child, 'message')) as [T];
  return value;
}

const PROFILES = join('.data', 'bench', 'hot-path-profile');
const profileDir = (kind: string, root?: string) => join(PROFILES, root === undefined ? kind : `${kind}-compared`);

async function measure(kind: 'bare' | 'webhook', root?: string) {
  const child = fork(SERVER, [kind], {
    execArgv: [...(args.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir(kind, root)}`] : []), '--import', 'tsx'],
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
if (args.profile) await rm(PROFILES, { recursive: true, force: true });
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
if (Number(args.rounds) > 1) {
  // The machine's load only ever adds CPU time, so the least a server needed is its steadiest figure.
  console.log('\nover the rounds (µs CPU / callback):');
  for (const name of [...new Set(runs.map((r) => r.name))]) {
    const values = runs.filter((r) => r.name === name).map((r) => r.run.cpuUs / CALLBACKS);
    values.sort((a, b) => a - b);
    const median = values[Math.floor(values.length / 2)] ?? NaN;
    console.log(`${name.padEnd(34)} min ${values[0]?.toFixed(1)}, median ${median.toFixed(1)}`);
  }
}
if (args.profile) {
  // Profiles are written as each server exits; with several rounds, every round's window counts.
  for (const [name, kind, root] of [
    ['bare listener', 'bare', undefined],
    ['webhook (this checkout)', 'webhook', undefined],
    ...(args.compare ? [[`webhook of ${args.compare}`, 'webhook', args.compare] as const] : []),
  ] as const) {
    const mine = runs.filter((r) => r.name === name);
    const summary = { busyMs: 0, areas: [] as { area: string; ms: number }[] };
    for (const { run } of mine) {
      const one = await summariseAreas(profileDir(kind, root), run.windowUs);
      summary.busyMs += one.busyMs;
      for (const a of one.areas) {
        const known = summary.areas.find((x) => x.area === a.area);
        if (known) known.ms += a.ms;
        else summary.areas.push({ ...a });
      }
    }
    summary.areas.sort((a, b) => b.ms - a.ms);
    const cpuSeconds = mine.reduce((s, r) => s + r.run.cpuUs, 0) / 1e6;
    console.log(`\n#### ${name}\n`);
    console.log(formatAreas(summary, { callbacks: CALLBACKS * mine.length, cpuSeconds }));
  }
}
const hook = runs.at(-1)?.run;
if (hook?.allocations) {
  const total = hook.allocations.reduce((s, a) => s + a.bytes, 0);
  console.log(`\nwebhook: ${(total / CALLBACKS / 1024).toFixed(1)} KB allocated per callback (sampled), by area:`);
  for (const { area, bytes } of hook.allocations.slice(0, 30)) {
    console.log(`${(bytes / CALLBACKS).toFixed(0).padStart(8)} B  ${area}`);
  }
}
