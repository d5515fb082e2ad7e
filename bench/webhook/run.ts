/**
 * `npm run bench:webhook [-- --callbacks 20000 --concurrency 256 --window 100 --max 500 --profile]`: callbacks acknowledged
 * per second end to end (webhook → Temporal signal → request workflow on a worker) against a bare node:http
 * server that only parses the JSON, with the same load generator, bodies and concurrency, in one run. Starts its
 * own dev server, worker, webhook (the production entry point, src/webhook/main.ts) and bare server. Prints the CPU
 * seconds each process used during each server's measured load (the cores are shared, so the ratio alone cannot
 * say whether the webhook is short of CPU or waiting); `--profile` also runs the webhook under `--cpu-prof` and
 * prints its self time by area during its measured load. `--compare <checkout>` also runs that checkout's webhook
 * (e.g. an export of the base commit with a node_modules link) in the same run, on its own requests, so a change
 * is measured against the same machine load; each webhook's load starts once the previous one's callbacks have
 * all been applied, so the worker is idle at every start.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { freePort, startDevServer } from '../../src/devserver/dev-server.js';
import { dataConverter } from '../../src/temporal/connection.js';
import { SERVICE_PATHS } from '../../src/webhook/paths.js';
import { activationRequest, requestProgressQuery, requestWorkflowId } from '../../src/workflows/request.js';
import { LISTENER, callbackBody, expectedDevices } from './callbacks.js';
import { runLoad, type LoadResult } from './load.js';
import { startChild, type Child } from '../processes.js';
import { formatSummary, summariseProfiles } from '../profile.js';
import { formatAreas, summariseAreas } from './areas.js';
import { cpuDelta, cpuSeconds } from './cpu.js';

const { values: args } = parseArgs({
  options: {
    callbacks: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '256' },
    window: { type: 'string', default: '100' },
    max: { type: 'string', default: '500' },
    profile: { type: 'boolean', default: false },
    compare: { type: 'string' },
  },
});
const CALLBACKS = Number(args.callbacks);
const CONCURRENCY = Number(args.concurrency);
const PER_REQUEST = 10_000; // ThingSpace's maximum devices per activate request
const WARM_UP = 2_000;
const PATH = SERVICE_PATHS.CarrierService;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const say = (line: string) => console.log(line);
const PROFILE_DIR = join('.data', 'bench', 'webhook-profile');
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

async function main() {
  let profiled: { windowUs: { fromUs: number; toUs: number }; cpuSeconds: number }[] = [];
  say('starting a Temporal dev server, a worker, the webhook and the bare server …');
  const devServer = await startDevServer({ log: () => {} });
  const children: Child[] = [];
  if (args.profile) await rm(PROFILE_DIR, { recursive: true, force: true });
  let connection: Connection | undefined;
  try {
    const taskQueue = `bench-${randomUUID()}`;
    const temporalEnv = { TEMPORAL_ADDRESS: devServer.address, TEMPORAL_NAMESPACE: devServer.namespace };
    children.push(
      await startChild(
        'worker',
        'bench/webhook/worker.ts',
        { ...temporalEnv, TASK_QUEUE: taskQueue },
        /worker ready/,
        args.profile ? { cpuProfDir: join(PROFILE_DIR, 'worker') } : {},
      ),
    );
    const startWebhook = async (name: string, root: string) => {
      const port = await freePort();
      const child = await startChild(
        name,
        join(root, 'src/webhook/main.ts'),
        {
          ...temporalEnv,
          CALLBACK_USERNAME: LISTENER.username,
          CALLBACK_PASSWORD: LISTENER.password,
          WEBHOOK_HOST: '127.0.0.1',
          WEBHOOK_PORT: String(port),
          WEBHOOK_BATCH_WINDOW_MS: args.window,
          WEBHOOK_BATCH_MAX: args.max,
          // Info logs start-up and notable events only, never a line per callback: no cost under load.
          WEBHOOK_LOG_LEVEL: 'info',
        },
        /webhook ready/,
        args.profile && name === 'webhook' ? { cpuProfDir: join(PROFILE_DIR, 'webhook') } : {},
      );
      children.push(child);
      return { child, origin: `http://127.0.0.1:${port}` };
    };
    const hook = await startWebhook('webhook', '.');
    const compared = args.compare ? await startWebhook('compared', args.compare) : undefined;
    const barePort = await freePort();
    children.push(
      await startChild(
        'bare',
        'bench/webhook/bare-server.ts',
        { PORT: String(barePort) },
        /listening/,
        args.profile ? { cpuProfDir: join(PROFILE_DIR, 'bare') } : {},
      ),
    );

    connection = await Connection.connect({ address: devServer.address });
    const client = new Client({ connection, namespace: devServer.namespace, dataConverter });
    // Each measured webhook gets requests of its own, so that every callback it carries is a first one.
    const startRequests = async (set: number, total: number, first = PER_REQUEST) => {
      const requests: { requestId: string; size: number }[] = [];
      for (let r = 0, left = total; left > 0; r++) {
        const size = Math.min(r === 0 ? first : PER_REQUEST, left);
        left -= size;
        const requestId = randomUUID();
        await client.workflow.start(activationRequest, {
          workflowId: requestWorkflowId(requestId),
          taskQueue,
          args: [
            {
              requestId,
              accountName: '0868924207-00001',
              submittedAt: new Date().toISOString(),
              devices: expectedDevices(set * 1_000 + r, size),
              callbackTimeout: '1 hour',
            },
          ],
        });
        requests.push({ requestId, size });
      }
      const bodies = requests.flatMap(({ requestId, size }, r) =>
        Array.from({ length: size }, (_, n) => callbackBody(requestId, set * 1_000 + r, n)),
      );
      return { requests, bodies };
    };
    const warm = await startRequests(0, WARM_UP, WARM_UP);
    const mine = await startRequests(1, CALLBACKS);
    const theirs = compared ? await startRequests(2, CALLBACKS) : undefined;
    const warmBodies = warm.bodies;
    const bodies = mine.bodies;
    /** Callbacks and signals the request workflows of `set` have applied, once they have applied them all. */
    const applied = async (set: { requests: { requestId: string }[]; bodies: unknown[] }) => {
      for (let tries = 0; ; tries++) {
        let signals = 0;
        let count = 0;
        for (const { requestId } of set.requests) {
          const progress = await client.workflow.getHandle(requestWorkflowId(requestId)).query(requestProgressQuery);
          signals += progress.callbacks.signals;
          count += progress.callbacks.applied;
        }
        if (count >= set.bodies.length || tries >= 100) return { signals, applied: count };
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    const bare = `http://127.0.0.1:${barePort}`;
    const webhook = hook.origin;
    say(`warming up the servers with ${fmt(WARM_UP)} callbacks …`);
    await runLoad(bare, PATH, warmBodies, CONCURRENCY);
    await runLoad(webhook, PATH, warmBodies, CONCURRENCY);
    if (compared) await runLoad(compared.origin, PATH, warmBodies, CONCURRENCY);
    await applied(warm);

    const worker = children[0] as Child;
    const bareServer = children.at(-1) as Child;
    const roots = {
      webhook: hook.child.pid,
      ...(compared && { compared: compared.child.pid }),
      worker: worker.pid,
      bare: bareServer.pid,
    };
    // The load generator runs in this process; `other` is the rest of its descendants: the Temporal dev server.
    const measured = async (origin: string, sent = bodies) => {
      const before = cpuSeconds(roots);
      const loadBefore = process.cpuUsage();
      const fromUs = monotonicUs();
      const result = await runLoad(origin, PATH, sent, CONCURRENCY);
      const windowUs = { fromUs, toUs: monotonicUs() };
      const cpu = cpuDelta(before, cpuSeconds(roots));
      const load = process.cpuUsage(loadBefore);
      cpu.load = (load.user + load.system) / 1e6;
      return { result, cpu, windowUs };
    };
    const bareRun = await measured(bare);
    // The compared webhook first: should load left over from the first run tax the second, it taxes ours.
    const comparedRun = compared && theirs ? await measured(compared.origin, theirs.bodies) : undefined;
    const comparedApplied = theirs ? await applied(theirs) : undefined;
    const hookRun = await measured(webhook);
    const bareResult = bareRun.result;
    const hookResult = hookRun.result;
    const { signals, applied: appliedCount } = await applied(mine);
    const line = (name: string, r: LoadResult) =>
      `${name.padEnd(34)} ${fmt(r.perSecond).padStart(7)} callbacks/s  (${fmt(r.ok)} in ${r.seconds.toFixed(2)} s` +
      `${r.failed ? `, ${fmt(r.failed)} not 2xx` : ''})`;
    say('');
    say(
      `${fmt(bodies.length)} callbacks (${mine.requests.length} request(s) of up to ${fmt(PER_REQUEST)}), ` +
        `${CONCURRENCY} concurrent senders, webhook window ${args.window} ms / max ${args.max}`,
    );
    say(line('bare node:http (parse JSON, 200)', bareResult));
    say(line('webhook → Temporal signal', hookResult));
    say(
      `${''.padEnd(34)} ${fmt(signals)} signals; ${fmt(appliedCount)} of ${fmt(bodies.length)} callbacks applied by the workflows`,
    );
    if (comparedRun && comparedApplied) {
      say(line(`webhook of ${args.compare}`, comparedRun.result));
      say(
        `${''.padEnd(34)} ${fmt(comparedApplied.signals)} signals; ${fmt(comparedApplied.applied)} of ${fmt(bodies.length)} applied`,
      );
    }
    const metrics = await (await fetch(`${webhook}/metrics`)).text();
    const sample = (name: string) =>
      Number(metrics.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm'))?.[1] ?? NaN);
    const latency = sample('webhook_signal_duration_seconds_sum') / sample('webhook_signal_duration_seconds_count');
    const batch = sample('webhook_batch_size_sum') / sample('webhook_batch_size_count');
    say(
      `${''.padEnd(34)} (whole run incl. warm-up: mean batch ${batch.toFixed(0)}, mean signal ${(latency * 1000).toFixed(1)} ms)`,
    );
    const cpuLine = (name: string, run: typeof bareRun) =>
      `${`CPU s during ${name}:`.padEnd(34)} ` +
      (['webhook', ...(compared ? (['compared'] as const) : []), 'worker', 'other', 'bare', 'load'] as const)
        .map((k) => `${k === 'other' ? 'temporal' : k} ${(run.cpu[k] ?? NaN).toFixed(2)}`)
        .join(', ') +
      ` (wall ${run.result.seconds.toFixed(2)})`;
    say(cpuLine('bare load', bareRun));
    if (comparedRun) say(cpuLine('compared webhook load', comparedRun));
    say(cpuLine('webhook load', hookRun));
    const perCallback = (seconds: number | undefined) => `${(((seconds ?? NaN) * 1e6) / bodies.length).toFixed(0)} µs`;
    say(
      `${'webhook CPU per callback:'.padEnd(34)} ${perCallback(hookRun.cpu.webhook)}` +
        (comparedRun ? ` (compared webhook: ${perCallback(comparedRun.cpu.compared)})` : '') +
        ` (bare server: ${perCallback(bareRun.cpu.bare)})`,
    );
    if (comparedRun) {
      say(`ratio compared webhook / bare: ${(comparedRun.result.perSecond / bareResult.perSecond).toFixed(2)}`);
    }
    say(`ratio webhook / bare: ${(hookResult.perSecond / bareResult.perSecond).toFixed(2)}`);
    if (args.profile) {
      profiled = [
        { windowUs: hookRun.windowUs, cpuSeconds: hookRun.cpu.webhook ?? NaN },
        { windowUs: bareRun.windowUs, cpuSeconds: bareRun.cpu.bare ?? NaN },
      ];
    }
    if (appliedCount !== bodies.length || hookResult.failed > 0) process.exitCode = 1;
  } finally {
    for (const child of children.reverse()) await child.stop();
    await connection?.close();
    await devServer.stop();
  }
  // The profile is written when the webhook exits, so it is read after the children have stopped.
  const [hookProfile, bareProfile] = profiled;
  if (hookProfile && bareProfile) {
    const perCallback = (cpuSeconds: number) => ({ callbacks: CALLBACKS, cpuSeconds });
    const windows = (w: { fromUs: number; toUs: number }) => `${w.fromUs}–${w.toUs} µs monotonic`;
    say('');
    say(
      `profiles in ${PROFILE_DIR}; webhook load ${windows(hookProfile.windowUs)}, bare ${windows(bareProfile.windowUs)}`,
    );
    say('');
    say(`#### webhook during its measured load, by area (${fmt(CALLBACKS)} callbacks)`);
    say('');
    const hookAreas = await summariseAreas(join(PROFILE_DIR, 'webhook'), hookProfile.windowUs);
    say(formatAreas(hookAreas, perCallback(hookProfile.cpuSeconds)));
    say('');
    say(`#### bare server during its measured load, by area`);
    say('');
    const bareAreas = await summariseAreas(join(PROFILE_DIR, 'bare'), bareProfile.windowUs);
    say(formatAreas(bareAreas, perCallback(bareProfile.cpuSeconds)));
    say('');
    for (const name of ['webhook', 'worker']) {
      const summary = await summariseProfiles(join(PROFILE_DIR, name), hookProfile.windowUs, 25);
      say(formatSummary(`${name} during the webhook's measured load`, summary));
      say('');
    }
  }
}

await main();
