import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from '../../src/devserver/processes.js';

describe('startProcess', () => {
  let dir: string;
  let entry: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'start-process-'));
    entry = join(dir, 'print-flags.js');
    // Stays up until killed, as the product's processes do.
    await writeFile(
      entry,
      "console.log('node flags: [' + process.execArgv.join(' ') + ']'); setInterval(() => {}, 1000);",
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gives Node the flags NODE_OPTIONS refuses, before the entry point', async () => {
    const proc = startProcess('flags', entry, {}, { nodeArgs: ['--no-memory-reducer', '--max-semi-space-size=4'] });
    try {
      await proc.waitFor(/^node flags: /);
      expect(proc.output).toContain('node flags: [--no-memory-reducer --max-semi-space-size=4]');
    } finally {
      await proc.kill();
    }
  });

  it('gives none unless asked', async () => {
    const proc = startProcess('no-flags', entry, {});
    try {
      await proc.waitFor(/^node flags: /);
      expect(proc.output).toContain('node flags: []');
    } finally {
      await proc.kill();
    }
  });
});
