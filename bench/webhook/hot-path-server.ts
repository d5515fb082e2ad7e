/**
 * One server of `bench/webhook/hot-path.ts`, forked so that its CPU time is its own: `bare` (the bare listener) or
 * `webhook` (createWebhook with the production settings, but a stand-in for Temporal that accepts each signal after
 * SIGNAL_MS). Messages from the parent: `start` and `stop` bracket the measured load; on `stop` it answers with the
 * CPU µs it used, and with ALLOC=1 its allocations by area (sampling heap profiler, collected objects included).
 * WEBHOOK_ROOT runs the webhook of another checkout (its src/webhook/server.ts) for a before/after comparison.
 */
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { startBareListener } from '../bare-listener.js';
import type { createWebhook as CreateWebhook } from '../../src/webhook/server.js';
import type { SignalTarget } from '../../src/webhook/temporal-target.js';
import { LISTENER } from './callbacks.js';

const kind = process.argv[2];
const signalMs = Number(process.env.SIGNAL_MS ?? 10);
const send = (message: unknown) => process.send?.(message);

async function listen(): Promise<{ port: number; close(): Promise<void> }> {
  if (kind === 'bare') return startBareListener(() => {});
  const target: SignalTarget = {
    send: () => new Promise((resolve) => setTimeout(() => resolve('signalled'), signalMs)),
    ready: async () => {},
  };
  const root = process.env.WEBHOOK_ROOT ? `${process.env.WEBHOOK_ROOT}/` : '../../';
  const { createWebhook } = (await import(`${root}src/webhook/server.ts`)) as { createWebhook: typeof CreateWebhook };
  const webhook = await createWebhook({
    target,
    settings: { credentials: LISTENER, logLevel: 'info' },
  });
  await webhook.app.listen({ host: '127.0.0.1', port: 0 });
  return { port: (webhook.app.server.address() as AddressInfo).port, close: () => webhook.close() };
}

interface SamplingNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: SamplingNode[];
}

/** Bytes allocated by the innermost frame from our code or a package, so the table names who asked. */
function allocationsByArea(root: SamplingNode): { area: string; bytes: number }[] {
  const out = new Map<string, number>();
  const walk = (node: SamplingNode, owner: string) => {
    const url = node.callFrame.url;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
    const own = /\/(src\/[^/]+\/[^/]+|bench\/[^/]+(?:\/[^/]+)?)$/.exec(url)?.[1];
    const here = pkg ?? own ?? (url.startsWith('node:') ? `${owner} → ${url}` : owner);
    const name = pkg || own ? here : owner;
    if (node.selfSize > 0) {
      const area = url.startsWith('node:') || url === '' ? `${owner} → ${url || node.callFrame.functionName}` : name;
      out.set(area, (out.get(area) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, name);
  };
  walk(root, '(root)');
  return [...out.entries()].map(([area, bytes]) => ({ area, bytes })).sort((a, b) => b.bytes - a.bytes);
}

const server = await listen();
const session = new Session();
if (process.env.ALLOC === '1') session.connect();
let started: NodeJS.CpuUsage | undefined;
let fromUs = 0;
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
let gcMs = 0;
let measuring = false;
new PerformanceObserver((list) => {
  if (measuring) for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });
process.on('message', (message: string) => {
  void (async () => {
    if (message === 'start') {
      if (process.env.ALLOC === '1') {
        await session.post('HeapProfiler.startSampling', {
          samplingInterval: 4096,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        });
      }
      started = process.cpuUsage();
      fromUs = monotonicUs();
      measuring = true;
    } else if (message === 'stop') {
      const used = process.cpuUsage(started);
      measuring = false;
      let allocations: { area: string; bytes: number }[] | undefined;
      if (process.env.ALLOC === '1') {
        const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
        allocations = allocationsByArea(profile.head);
      }
      send({ cpuUs: used.user + used.system, gcMs, allocations, windowUs: { fromUs, toUs: monotonicUs() } });
    } else if (message === 'exit') {
      await server.close();
      process.exit(0);
    }
  })();
});
send({ port: server.port });
