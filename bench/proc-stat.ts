/**
 * One line of /proc/<pid>/stat (or /proc/<pid>/task/<tid>/stat for a thread), as the bench's CPU figures read it.
 * Linux only; undefined when the process or thread has exited, or off Linux.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime/starttime in /proc, 100 on every Linux build the bench runs on. */
export const TICKS_PER_SECOND = 100;

export interface ProcStat {
  /** The command name (a thread's own name for a task). */
  name: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** When it started, in clock ticks since boot. */
  startTicks: number;
}

export function readProcStat(path: string): ProcStat | undefined {
  try {
    const line = readFileSync(path, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: split after its closing one.
    const close = line.lastIndexOf(')');
    const fields = line.slice(close + 2).split(' ');
    // After the name: state(3) ppid(4) … utime(14) stime(15) … starttime(22), so index = field number - 3.
    return {
      name: line.slice(line.indexOf('(') + 1, close),
      ppid: Number(fields[1]),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
      startTicks: Number(fields[19]),
    };
  } catch {
    return undefined;
  }
}
