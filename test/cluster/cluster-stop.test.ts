/**
 * `npm run cluster` stops everything it started, on SIGTERM and on Ctrl+C (SIGINT to the whole foreground process
 * group, as a terminal sends it): afterwards `ps` finds none of the processes that ran under it.
 */
import { describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function processTable(): Promise<{ pid: number; ppid: number; command: string }[]> {
  const { stdout } = await promisify(execFile)('ps', ['-e', '-o', 'pid=,ppid=,args=']);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid, ppid, ...command] = line.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), command: command.join(' ') };
    });
}

/** Every process below `root`, found through parent ids. */
async function descendants(root: number): Promise<{ pid: number; command: string }[]> {
  const table = await processTable();
  const found: { pid: number; command: string }[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const p of table.filter((row) => row.ppid === parent)) {
      found.push(p);
      queue.push(p.pid);
    }
  }
  return found;
}

async function runAndStop(stopWith: 'SIGTERM' | 'Ctrl+C') {
  const logDir = await mkdtemp(join(tmpdir(), 'cluster-stop-logs-'));
  // Its own process group, like a job in a terminal, so "Ctrl+C" can reach every process in it.
  const child = spawn('npm', ['run', 'cluster', '--', '--devices', '20', '--log-dir', logDir], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (/Cluster ready/.test(output.join(''))) resolve();
    };
    child.stdout.on('data', check);
    void exited.then(() => reject(new Error(`npm run cluster exited early:\n${output.join('')}`)));
  });

  const before = await descendants(child.pid!);
  const commands = before.map((p) => p.command).join('\n');
  // What runs: PostgreSQL, the four Temporal services, two workers, two webhooks and the simulator.
  expect(commands).toMatch(/postgres -D/);
  for (const service of ['frontend', 'history', 'matching', 'worker'])
    expect(commands).toContain(`--service ${service}`);
  expect(commands.match(/src\/worker\.ts/g)).toHaveLength(2);
  expect(commands.match(/src\/webhook\/main\.ts/g)).toHaveLength(2);
  expect(commands).toMatch(/src\/simulator\/main\.ts/);

  const started = Date.now();
  if (stopWith === 'SIGTERM') process.kill(child.pid!, 'SIGTERM');
  else process.kill(-child.pid!, 'SIGINT');
  const code = await exited;
  // npm may exit before the cluster has finished stopping: wait (bounded) for the processes it ran to end.
  const pids = before.map((p) => p.pid);
  const left = async () => (await processTable()).filter((p) => pids.includes(p.pid) || p.command.includes(logDir));
  const deadline = Date.now() + 60_000;
  let alive = await left();
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(250);
    alive = await left();
  }
  const stopMs = Date.now() - started;
  console.log(
    `${stopWith}: ${before.length} processes stopped in ${stopMs} ms, npm exit code ${code}, left: ${alive.length}`,
  );
  expect(alive).toEqual([]);
  expect(output.join('')).toMatch(/Cluster stopped/);
}

describe('npm run cluster', () => {
  it('leaves no process behind on SIGTERM', () => runAndStop('SIGTERM'), 600_000);
  it('leaves no process behind on Ctrl+C', () => runAndStop('Ctrl+C'), 600_000);
});
