import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alive, descendants, type ProcessInfo } from '../harness/process-tree.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let demo: ChildProcess | undefined;
let started: ProcessInfo[] = [];

afterAll(() => {
  // Only if the test failed half-way: stop what it started, by pid.
  for (const p of started) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
  if (demo?.exitCode === null) demo.kill('SIGKILL');
});

/** Resolves once `pattern` appears in the demo's output; rejects if the demo exits first. */
function output(child: ChildProcess, pattern: RegExp): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) resolve(text);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`demo exited (${code}) before ${pattern}:\n${text}`)));
  });
}

describe('npm run demo -- --keep-running', () => {
  it('stops the Temporal server, simulator, webhook, worker and codec server on SIGTERM to npm', async () => {
    const data = await mkdtemp(join(tmpdir(), 'demo-'));
    demo = spawn('npm', ['run', 'demo', '--', '--keep-running', '--devices', '10', '--free-ports', '--data', data], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const text = await output(demo, /Everything keeps running/);
    expect(text).toMatch(/Job demo-\d+: done/);
    expect(text).toMatch(/show decoded, through the codec server at http:\/\/127\.0\.0\.1:\d+/);

    started = descendants(demo.pid!);
    const find = (pattern: RegExp) => started.filter((p) => pattern.test(p.cmdline));
    expect(find(/temporal server start-dev .*--ui-codec-endpoint http:\/\/127\.0\.0\.1:\d+/)).toHaveLength(1);
    for (const entry of [
      /src\/simulator\/main\.ts/,
      /src\/webhook\/main\.ts/,
      /src\/worker\.ts/,
      /src\/codec-server\/main\.ts/,
    ])
      expect(find(entry)).toHaveLength(1);

    const exited = once(demo, 'exit');
    process.kill(demo.pid!, 'SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 143, signal: null });
    // npm returns once the demo has exited, and the demo exits only after stopping its children: none is left.
    expect(started.filter((p) => alive(p.pid)).map((p) => p.cmdline)).toEqual([]);
  }, 240_000);
});
