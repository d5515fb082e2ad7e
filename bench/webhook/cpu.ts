/**
 * CPU seconds (user + system) each process tree used, read from /proc: on a 2-core machine the webhook, the worker,
 * the Temporal server and the load generator compete for the same cores, so a throughput ratio alone cannot say
 * whether the webhook is short of CPU or waiting. Linux only; elsewhere every figure is NaN.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat, 100 on every Linux build the bench runs on. */
const TICKS_PER_SECOND = 100;

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
    try {
      const line = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name (field 2) is in parentheses and may hold spaces: split after its closing one.
      const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
      // After the name: state(3) ppid(4) … utime(14) stime(15), so index = field number - 3.
      stats.set(Number(pid), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process exited between readdir and read.
    }
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
