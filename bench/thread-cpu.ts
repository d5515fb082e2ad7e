/**
 * `npx tsx bench/thread-cpu.ts` beside `npm run bench`: where the worker's, webhook's and simulator's CPU goes by
 * thread, which the bench's per-process figures and V8's CPU profiles cannot say. A profile shows one thread's
 * JavaScript, and the garbage collector only where it pauses that thread; the collector's concurrent marking and
 * parallel scavenging run on V8's platform threads, which no profile shows. Linux only (/proc).
 *
 * It samples /proc/<pid>/task/* of the bench's processes every few seconds and, once they have exited (or on
 * Ctrl-C), prints per process the CPU seconds of each kind of thread over the case with the most callbacks: from
 * the worker's first busy sample to the webhook's last one. Kinds: the main thread; threads started within 0.1 s of
 * the process (V8's platform threads: collector and compiler, and tsx's loader thread where tsx runs the process);
 * later `node` threads (the worker's workflow threads, libuv's pool); native threads by name (the SDK's Rust runtime).
 * The thread's start is counted from the process's; a process started through tsx may show its platform threads as
 * later ones (the simulator, which has no workflow threads, did).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readProcStat, TICKS_PER_SECOND as TICKS, type ProcStat } from './proc-stat.js';

const { values: args } = parseArgs({ options: { every: { type: 'string', default: '3' } } });
const everyMs = Number(args.every) * 1000;
const ROLES: [string, RegExp][] = [
  ['worker', /lib\/worker\.js/],
  ['webhook', /webhook\/main\.ts/],
  ['simulator', /simulator\/main\.ts/],
];

type Sample = { at: number; processes: Map<string, { pid: number; threads: Map<number, ProcStat> }> };

function sample(): Sample {
  const processes: Sample['processes'] = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let command: string;
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    const role = ROLES.find(([, pattern]) => pattern.test(command))?.[0];
    if (!role || command.includes('cpu-prof')) continue;
    const threads = new Map<number, ProcStat>();
    try {
      for (const tid of readdirSync(`/proc/${entry}/task`)) {
        const s = readProcStat(`/proc/${entry}/task/${tid}/stat`);
        if (s) threads.set(Number(tid), s);
      }
    } catch {
      continue;
    }
    processes.set(role, { pid: Number(entry), threads });
  }
  return { at: Date.now(), processes };
}

function ticksOf(s: Sample, role: string): number {
  let total = 0;
  for (const t of s.processes.get(role)?.threads.values() ?? []) total += t.cpuTicks;
  return total;
}

function kind(pid: number, tid: number, thread: ProcStat, processStart: number): string {
  if (tid === pid) return 'main thread';
  // Node starts V8's platform threads within a few milliseconds; libuv's pool and worker threads come with first use.
  if (thread.startTicks - processStart <= TICKS / 10)
    return 'started with the process (V8 platform: collector, compiler)';
  if (thread.name === 'node') return "node threads started later (the worker's workflow threads, libuv's pool)";
  return `${thread.name} (native)`;
}

function report(samples: Sample[]) {
  // A busy sample: more than a fifth of a core since the one before. A case is a stretch of busy samples (worker or
  // webhook) ending at the webhook's last busy one; the one with the most webhook CPU is reported (the big one).
  const delta = (role: string, i: number) => ticksOf(samples[i]!, role) - ticksOf(samples[i - 1]!, role);
  const busy = (role: string, i: number) => delta(role, i) > (0.2 * TICKS * everyMs) / 1000;
  let best: { first: number; last: number; webhook: number } | undefined;
  for (let i = 1; i < samples.length;) {
    if (!busy('worker', i) && !busy('webhook', i)) {
      i++;
      continue;
    }
    const first = i;
    let last = -1;
    let webhook = 0;
    for (; i < samples.length && (busy('worker', i) || busy('webhook', i)); i++) {
      if (busy('webhook', i)) {
        last = i;
        webhook += delta('webhook', i);
      }
    }
    if (last >= 0 && webhook > (best?.webhook ?? 0)) best = { first, last, webhook };
  }
  if (!best) return console.log('no case seen (the webhook never got busy)');
  const from = samples[best.first - 1]!;
  const to = samples[best.last]!;
  console.log(`window: ${((to.at - from.at) / 1000).toFixed(0)} s, up to the last busy sample of the webhook`);
  for (const [role] of ROLES) {
    const end = to.processes.get(role);
    const begin = from.processes.get(role);
    if (!end || !begin) continue;
    const processStart = end.threads.get(end.pid)?.startTicks ?? 0;
    const byKind = new Map<string, number>();
    for (const [tid, thread] of end.threads) {
      const used = thread.cpuTicks - (begin.threads.get(tid)?.cpuTicks ?? 0);
      const k = kind(end.pid, tid, thread, processStart);
      byKind.set(k, (byKind.get(k) ?? 0) + used / TICKS);
    }
    const total = [...byKind.values()].reduce((a, b) => a + b, 0);
    console.log(`${role}: ${total.toFixed(1)} CPU-s`);
    for (const [k, seconds] of [...byKind].sort((a, b) => b[1] - a[1])) {
      if (seconds >= 0.1) console.log(`  ${seconds.toFixed(1).padStart(7)}  ${k}`);
    }
  }
}

const samples: Sample[] = [];
let seen = false;
const timer = setInterval(() => {
  const s = sample();
  if (s.processes.size > 0) {
    seen = true;
    samples.push(s);
  } else if (seen) {
    clearInterval(timer);
    report(samples);
  }
}, everyMs);
process.on('SIGINT', () => {
  clearInterval(timer);
  report(samples);
  process.exit(0);
});
