/**
 * The webhook's CPU profile by what the time was spent for (JSON parse, validation, auth, rate limiting, Temporal
 * signal, response writing …) rather than by package: each sample goes to the innermost frame of its stack that
 * names an area, so a socket `writev` counts as response writing under `reply.send` and as the Temporal call under
 * gRPC. Runnable on its own: `npx tsx bench/webhook/areas.ts <dir-with-.cpuprofile-files>`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  startTime: number;
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** First match wins, tried on each frame from the leaf up; order matters where patterns overlap. */
const AREAS: [area: string, test: (url: string, fn: string) => boolean][] = [
  [
    'JSON parse (secure-json-parse, src/webhook/json.ts)',
    (u) => u.includes('/secure-json-parse/') || u.endsWith('src/webhook/json.ts'),
  ],
  ['zod validation', (u) => u.includes('/zod/')],
  ['auth check (sha256, timingSafeEqual)', (u) => u.endsWith('src/webhook/auth.ts')],
  [
    'rate limiting (@fastify/rate-limit or src/webhook/limiter.ts)',
    (u) => /\/(@fastify\/rate-limit|toad-cache)\//.test(u) || u.endsWith('src/webhook/limiter.ts'),
  ],
  ['metrics (prom-client)', (u) => u.includes('/prom-client/')],
  ['logging (pino)', (u) => /\/(pino|pino-std-serializers|sonic-boom)\//.test(u)],
  ['callback → record', (u) => u.endsWith('src/webhook/to-record.ts')],
  ['batching', (u) => u.endsWith('src/webhook/batcher.ts')],
  [
    'Temporal signal (client, gRPC, protobuf, gzip)',
    (u) =>
      /\/(@temporalio|@grpc|protobufjs|@protobufjs|long)\//.test(u) || /^node:(zlib|http2|internal\/http2)/.test(u),
  ],
  ['route handler (src/webhook/routes.ts)', (u) => u.endsWith('src/webhook/routes.ts')],
  [
    'response writing (fastify reply, node:http outgoing)',
    (u) => /fastify\/lib\/reply\.js|^node:_http_outgoing/.test(u),
  ],
  [
    'body read (fastify content-type parser)',
    (u) => /fastify\/lib\/content-type-parser\.js|^node:_http_incoming/.test(u),
  ],
  ['fastify routing, hooks, request objects', (u) => /\/(fastify|find-my-way|avvio|light-my-request)\//.test(u)],
  ['node:http server (request parse, response bookkeeping)', (u) => /^node:(_http_server|_http_common)$/.test(u)],
  ['garbage collector', (_u, fn) => fn === '(garbage collector)'],
  ['(program): V8/libuv outside JS', (_u, fn) => fn === '(program)'],
];

/** Tried only when no frame of the stack names one of AREAS: these sit under every kind of work. */
const FALLBACK_AREAS: typeof AREAS = [
  ['socket I/O (node:net, streams)', (u) => /^node:(net|internal\/stream_base_commons|internal\/streams\/)/.test(u)],
  [
    'promises, ticks, async hooks',
    (u) => /^node:(internal\/process\/task_queues|async_hooks|internal\/async_hooks)/.test(u),
  ],
];

export interface AreaSummary {
  busyMs: number;
  areas: { area: string; ms: number }[];
}

export async function summariseAreas(dir: string, window?: { fromUs: number; toUs: number }): Promise<AreaSummary> {
  const byArea = new Map<string, number>();
  let busyMs = 0;
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const areaOf = new Map<number, string>();
    const classify = (id: number): string => {
      const known = areaOf.get(id);
      if (known !== undefined) return known;
      for (const areas of [AREAS, FALLBACK_AREAS]) {
        for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
          const { url, functionName } = (nodes.get(at) as Node).callFrame;
          const hit = areas.find(([, test]) => test(url, functionName));
          if (hit) {
            areaOf.set(id, hit[0]);
            return hit[0];
          }
        }
      }
      const leaf = (nodes.get(id) as Node).callFrame;
      const other = `other: ${leaf.url ? leaf.url.replace(/^.*node_modules\/((?:@[^/]+\/)?[^/]+).*$/, '$1') : leaf.functionName}`;
      areaOf.set(id, other);
      return other;
    };
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      const delta = profile.timeDeltas[i] ?? 0;
      at += delta;
      if (window && (at < window.fromUs || at > window.toUs)) return;
      if ((nodes.get(id) as Node).callFrame.functionName === '(idle)') return;
      const ms = delta / 1000;
      busyMs += ms;
      const area = classify(id);
      byArea.set(area, (byArea.get(area) ?? 0) + ms);
    });
  }
  return {
    busyMs,
    areas: [...byArea.entries()].map(([area, ms]) => ({ area, ms })).sort((a, b) => b.ms - a.ms),
  };
}

/**
 * A markdown table. With `perCallback`, also µs per callback: the area's share of the samples times the CPU time
 * the process really used (read from /proc), since sampled time also counts the moments the process was runnable
 * but descheduled, which on a shared 2-core machine is a lot.
 */
export function formatAreas(
  summary: AreaSummary,
  perCallback?: { callbacks: number; cpuSeconds: number },
  top = 20,
): string {
  const rows = summary.areas.slice(0, top);
  const rest = summary.areas.slice(top).reduce((s, a) => s + a.ms, 0);
  if (rest > 0) rows.push({ area: `(${summary.areas.length - top} smaller areas)`, ms: rest });
  const us = (ms: number) =>
    perCallback
      ? ` ${(((ms / summary.busyMs) * perCallback.cpuSeconds * 1e6) / perCallback.callbacks).toFixed(1)} |`
      : '';
  return [
    `| Self time by area (innermost frame naming one) | sampled ms | share |${perCallback ? ' CPU µs / callback |' : ''}`,
    `| --- | ---: | ---: |${perCallback ? ' ---: |' : ''}`,
    ...rows.map(
      (a) => `| ${a.area} | ${Math.round(a.ms)} | ${((100 * a.ms) / summary.busyMs).toFixed(1)} % |${us(a.ms)}`,
    ),
    `| **total (idle excluded)** | ${Math.round(summary.busyMs)} | 100 % |${us(summary.busyMs)}`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: npx tsx bench/webhook/areas.ts <dir> [<fromUs> <toUs>]');
  const [from, to] = process.argv.slice(3).map(Number);
  console.log(formatAreas(await summariseAreas(dir, from && to ? { fromUs: from, toUs: to } : undefined)));
}
