/**
 * CPU seconds (user + system) each process tree used, read from /proc: on a 2-core machine the webhook, the worker,
 * the Temporal server and the load generator compete for the same cores, so a throughput ratio alone cannot say
 * whether the webhook is short of CPU or waiting. Linux only; elsewhere every figure is NaN.
 */
import { readdirSync } from 'node:fs';
import { readProcStat, TICKS_PER_SECOND } from '../proc-stat.js';

interface Stat {
  ppid: number;
  ticks: number;
}

function readStats(): Map<number, Stat> {
  const stats = new Map<number, Stat>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return stats;
  }
  for (const pid of pids) {
    // Undefined when the process exited between readdir and read.
    const stat = readProcStat(`/proc/${pid}/stat`);
    if (stat) stats.set(Number(pid), { ppid: stat.ppid, ticks: stat.cpuTicks });
  }
  return stats;
}

/** CPU seconds of each named root's process tree, plus `other` for the rest of `self`'s descendants. */
export function cpuSeconds(roots: Record<string, number>, self = process.pid): Record<string, number> {
  const stats = readStats();
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of stats) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const tree = (root: number): number[] => [root, ...(children.get(root) ?? []).flatMap(tree)];
  const seen = new Set<number>();
  const sum = (pids: number[]) => pids.reduce((s, pid) => s + (stats.get(pid)?.ticks ?? 0), 0) / TICKS_PER_SECOND;
  const out: Record<string, number> = {};
  for (const [name, root] of Object.entries(roots)) {
    const pids = tree(root);
    pids.forEach((pid) => seen.add(pid));
    out[name] = stats.size === 0 ? NaN : sum(pids);
  }
  const rest = tree(self).filter((pid) => pid !== self && !seen.has(pid));
  out.other = stats.size === 0 ? NaN : sum(rest);
  return out;
}

/** Differences between two readings, key by key. */
export function cpuDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] ?? NaN) - (before[k] ?? NaN)]));
}
