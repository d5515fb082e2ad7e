/**
 * The bench's child processes: the product's own process runner (src/devserver/processes.ts), awaited until each
 * prints its ready line, with its peak memory read from /proc before it is stopped.
 */
import { readFileSync } from 'node:fs';
import { startProcess, type RunningProcess, type StartOptions } from '../src/devserver/processes.js';
import { readProcStat, TICKS_PER_SECOND } from './proc-stat.js';

export interface Child {
  name: string;
  pid: number;
  /** The last lines it printed (stdout and stderr). */
  output: readonly string[];
  /**
   * VmHWM: the resident set's high-water mark over the process's whole life; undefined off Linux or once exited.
   * Under cpuProfDir it is the wrapper's, not the profiled process's.
   */
  peakRssBytes(): number | undefined;
  /** VmRSS: the resident set now. */
  rssBytes(): number | undefined;
  /** User + system CPU seconds used so far (its threads, not its children); undefined off Linux or once exited. */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

export interface ChildOptions extends StartOptions {
  /** Run under `--cpu-prof`, writing the profile(s) into this folder when the process exits. */
  cpuProfDir?: string;
}

export async function startChild(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  options: ChildOptions = {},
): Promise<Child> {
  const proc = options.cpuProfDir
    ? startProcess(
        name,
        'bench/cpu-prof.ts',
        {
          ...env,
          BENCH_ENTRY: entry,
          BENCH_CPU_PROF_DIR: options.cpuProfDir,
          BENCH_NODE_ARGS: JSON.stringify(options.nodeArgs ?? []),
        },
        { ...options, nodeArgs: [] },
      )
    : startProcess(name, entry, env, options);
  try {
    await proc.waitFor(ready, 120_000);
  } catch (err) {
    await proc.kill('SIGKILL');
    throw err;
  }
  const pid = proc.child.pid as number;
  return {
    name,
    pid,
    output: proc.output,
    peakRssBytes: () => memoryField(pid, 'VmHWM'),
    rssBytes: () => memoryField(pid, 'VmRSS'),
    cpuSeconds: () => processCpuSeconds(pid),
    stop: () => stopProcess(proc),
  };
}

function memoryField(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

export function processCpuSeconds(pid: number): number | undefined {
  const stat = readProcStat(`/proc/${pid}/stat`);
  return stat && stat.cpuTicks / TICKS_PER_SECOND;
}

/**
 * CPU seconds since boot, over all cores: `busy` is everything but idle, iowait and steal; `steal` is time the
 * hypervisor gave other tenants while this machine wanted to run (its speed moving from hour to hour).
 */
export function machineCpuSeconds(): { busy: number; steal: number } {
  const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks.map(Number);
  return { busy: (user + nice + system + irq + softirq) / TICKS_PER_SECOND, steal: steal / TICKS_PER_SECOND };
}

/** SIGTERM lets the worker and webhook drain (and write --cpu-prof output); SIGKILL only if that hangs. */
async function stopProcess(proc: RunningProcess, graceMs = 20_000): Promise<void> {
  const timer = setTimeout(() => void proc.kill('SIGKILL'), graceMs);
  await proc.kill('SIGTERM');
  clearTimeout(timer);
}
