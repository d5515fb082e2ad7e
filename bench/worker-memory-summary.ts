/**
 * Summarises what bench/worker-memory.cjs wrote (see there for how to run it):
 *
 *   npx tsx bench/worker-memory-summary.ts [--heaps <file> [--from 30] [--to 420]] [--promoted <file>] [--top 20]
 *
 * --heaps: the moment of the worker's highest RSS, with each thread's V8 heap, young generation and memory owned
 * outside the heap then (thread 0 is the main thread; the workflow threads follow in the order the SDK started them).
 * Then the worker's resident memory besides its V8 heaps and what their objects own outside them (its code, the
 * SDK's native core, glibc's arenas), second by second from --from to --to seconds of its life: median and 90th
 * percentile.
 * --promoted: the functions whose allocations outlived a young-generation collection, by sampled bytes, and the call
 * stacks that allocated most.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    heaps: { type: 'string' },
    promoted: { type: 'string' },
    top: { type: 'string', default: '20' },
    from: { type: 'string', default: '30' },
    to: { type: 'string', default: String(Number.MAX_SAFE_INTEGER) },
  },
});
const top = Number(args.top);

interface HeapLine {
  at: number;
  pid: string;
  thread: string;
  used: number;
  physical: number;
  /** The young generation's size (both semi-spaces); absent in logs written before it was logged. */
  young?: number;
  /** Memory outside the V8 heap that the thread's objects own (Buffers …); absent in older logs. */
  external?: number;
  rss?: number;
}

function heapsAtPeak(file: string): void {
  const lines: HeapLine[] = [];
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    const m =
      /^(\d+) (\d+) (\d+) used ([\d.]+) physical ([\d.]+)(?: new ([\d.]+))?(?: external ([\d.]+))?(?: rss ([\d.]+))?$/.exec(
        text,
      );
    if (!m) continue;
    const [, at, pid, thread, used, physical, young, external, rss] = m as unknown as string[];
    lines.push({
      at: Number(at),
      pid: pid as string,
      thread: thread as string,
      used: Number(used),
      physical: Number(physical),
      ...(young !== undefined && { young: Number(young) }),
      ...(external !== undefined && { external: Number(external) }),
      ...(rss !== undefined && { rss: Number(rss) }),
    });
  }
  const peak = lines.filter((l) => l.rss !== undefined).sort((a, b) => (b.rss ?? 0) - (a.rss ?? 0))[0];
  if (!peak) return console.log(`${file}: no line with the process's RSS`);
  // Each thread's sample nearest to the main thread's, within two seconds (one or two sampling periods).
  const threads = new Map<string, HeapLine>();
  for (const line of lines) {
    if (line.pid !== peak.pid || Math.abs(line.at - peak.at) > 2_000) continue;
    const seen = threads.get(line.thread);
    if (!seen || Math.abs(line.at - peak.at) < Math.abs(seen.at - peak.at)) threads.set(line.thread, line);
  }
  const sorted = [...threads.values()].sort((a, b) => Number(a.thread) - Number(b.thread));
  const physical = sorted.reduce((sum, l) => sum + l.physical, 0);
  const logged = sorted.filter((l) => l.external !== undefined);
  const external = logged.reduce((sum, l) => sum + (l.external ?? 0), 0);
  console.log(
    `worker ${peak.pid} at its highest RSS, ${peak.rss} MB: V8 heaps ${physical.toFixed(1)} MB in all` +
      (logged.length > 0 ? `, owned outside them ${external.toFixed(1)} MB` : ''),
  );
  for (const l of sorted) {
    const young = l.young === undefined ? '' : `, young generation ${l.young} MB`;
    const outside = l.external === undefined ? '' : `, ${l.external} MB outside`;
    console.log(`  thread ${l.thread}: ${l.used} MB used, ${l.physical} MB physical${young}${outside}`);
  }
  besidesV8(lines.filter((l) => l.pid === peak.pid));
}

/** Per second of the worker's life: its RSS less every thread's V8 heap and the memory its objects own outside it. */
function besidesV8(lines: HeapLine[]): void {
  const seconds = new Map<number, { rss?: number; v8: number }>();
  for (const line of lines) {
    const second = Math.floor(line.at / 1000);
    const entry = seconds.get(second) ?? { v8: 0 };
    entry.v8 += line.physical + (line.external ?? 0);
    if (line.rss !== undefined) entry.rss = line.rss;
    seconds.set(second, entry);
  }
  const first = Math.min(...seconds.keys());
  const [from, to] = [Number(args.from), Number(args.to)];
  const besides = [...seconds]
    .filter(([second, entry]) => second - first > from && second - first < to && entry.rss !== undefined)
    .map(([, entry]) => (entry.rss as number) - entry.v8)
    .sort((a, b) => a - b);
  if (besides.length === 0) return;
  const at = (q: number) => (besides[Math.floor(besides.length * q)] as number).toFixed(0);
  console.log(
    `besides V8's heaps and what they own, from ${from} s to ${Math.min(to, Math.max(...seconds.keys()) - first)} s ` +
      `of its life: median ${at(0.5)} MB, 90th percentile ${at(0.9)} MB (${besides.length} seconds)`,
  );
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children?: ProfileNode[];
}

function promoted(file: string): void {
  const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode };
  const byFunction = new Map<string, number>();
  const byStack = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, stack: string[]) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const frame = `${functionName || '(anonymous)'} ${url.split('/').at(-1) ?? ''}:${lineNumber + 1}`;
    const here = node === head ? stack : [...stack, frame];
    if (node.selfSize > 0) {
      total += node.selfSize;
      byFunction.set(frame, (byFunction.get(frame) ?? 0) + node.selfSize);
      const key = here.slice(-8).reverse().join(' < ');
      byStack.set(key, (byStack.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children ?? []) walk(child, here);
  };
  walk(head, []);
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`.padStart(10);
  const best = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(`\nsampled allocations that outlived a young-generation collection: ${mb(total).trim()}`);
  console.log('by function (self):');
  for (const [frame, bytes] of best(byFunction)) console.log(`${mb(bytes)}  ${frame}`);
  console.log('by call stack (innermost first, eight frames):');
  for (const [stack, bytes] of best(byStack)) console.log(`${mb(bytes)}  ${stack}`);
}

if (args.heaps) heapsAtPeak(args.heaps);
if (args.promoted) promoted(args.promoted);
if (!args.heaps && !args.promoted) console.log('nothing to do: give --heaps and/or --promoted');
