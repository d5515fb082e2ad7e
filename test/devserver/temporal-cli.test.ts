import { describe, expect, it } from '@jest/globals';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, obtainTemporalCli, TEMPORAL_CLI_VERSION } from '../../src/devserver/temporal-cli.js';

async function fakeExecutable(dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, '#!/bin/sh\nexit 0\n');
  await chmod(path, 0o755);
  return path;
}

describe('obtainTemporalCli', () => {
  it('prefers TEMPORAL_CLI_PATH, then PATH, then the versioned cache', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cli-routes-'));
    const explicit = await fakeExecutable(join(root, 'explicit'), 'temporal');
    const onPath = await fakeExecutable(join(root, 'bin'), 'temporal');
    const cacheRoot = join(root, 'cache');
    const cached = await fakeExecutable(join(cacheRoot, TEMPORAL_CLI_VERSION), 'temporal');
    const base = { TEMPORAL_CLI_CACHE_DIR: cacheRoot };

    await expect(
      obtainTemporalCli({ env: { ...base, TEMPORAL_CLI_PATH: explicit, PATH: join(root, 'bin') } }),
    ).resolves.toEqual({
      kind: 'binary',
      path: explicit,
      source: 'TEMPORAL_CLI_PATH',
    });
    await expect(obtainTemporalCli({ env: { ...base, PATH: join(root, 'bin') } })).resolves.toMatchObject({
      path: onPath,
      source: 'PATH',
    });
    await expect(obtainTemporalCli({ env: { ...base, PATH: join(root, 'empty') } })).resolves.toMatchObject({
      path: cached,
      source: 'cache',
    });
    expect(cacheDir(base)).toBe(join(cacheRoot, TEMPORAL_CLI_VERSION));
  });

  it('falls back to the SDK download when there is no binary and no Go toolchain', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cli-none-'));
    const lines: string[] = [];
    const cli = await obtainTemporalCli({
      env: { TEMPORAL_CLI_CACHE_DIR: root, PATH: join(root, 'empty') },
      log: (l) => lines.push(l),
    });
    expect(cli).toEqual({ kind: 'sdk-download' });
    expect(lines.join('\n')).toMatch(/SDK will download/);
  });

  it('names TEMPORAL_CLI_PATH when it points at nothing', async () => {
    await expect(obtainTemporalCli({ env: { TEMPORAL_CLI_PATH: '/nonexistent/temporal' } })).rejects.toThrow(
      'TEMPORAL_CLI_PATH=/nonexistent/temporal is not an executable file.',
    );
  });
});
