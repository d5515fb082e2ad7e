/**
 * Every launcher gives the worker the same heap and malloc settings (src/worker-heap.ts); the Dockerfile and
 * `npm run worker` spell them out by hand, so they are held to the same values here.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { workerProcessEnv } from '../../src/worker-heap.js';

describe('workerProcessEnv', () => {
  it('adds the heap sizes and malloc settings to what the caller has', () => {
    const env = workerProcessEnv({ NODE_OPTIONS: '--enable-source-maps' });
    expect(env).toEqual({
      NODE_OPTIONS: '--enable-source-maps --max-old-space-size=256 --max-semi-space-size=8',
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: '131072',
    });
  });

  it("leaves the caller's own settings as they are", () => {
    const env = workerProcessEnv({
      NODE_OPTIONS: '--max-old-space-size=512 --max-semi-space-size=16',
      MALLOC_ARENA_MAX: '4',
      MALLOC_MMAP_THRESHOLD_: '1048576',
    });
    expect(env).toEqual({
      NODE_OPTIONS: '--max-old-space-size=512 --max-semi-space-size=16',
      MALLOC_ARENA_MAX: '4',
      MALLOC_MMAP_THRESHOLD_: '1048576',
    });
  });
});

describe('the launchers that spell the settings out', () => {
  const { NODE_OPTIONS, MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_ } = workerProcessEnv({});
  const flags = NODE_OPTIONS.split(' ');

  it("the Dockerfile's worker stage", () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const stage = dockerfile.slice(dockerfile.indexOf('FROM runtime AS worker'));
    expect(stage).toContain(`MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX}`);
    expect(stage).toContain(`MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_}`);
    for (const flag of flags) expect(stage).toContain(`"${flag}"`);
  });

  it('npm run worker', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    const script = pkg.scripts.worker ?? '';
    expect(script).toContain(`MALLOC_ARENA_MAX=\${MALLOC_ARENA_MAX:-${MALLOC_ARENA_MAX}}`);
    expect(script).toContain(`MALLOC_MMAP_THRESHOLD_=\${MALLOC_MMAP_THRESHOLD_:-${MALLOC_MMAP_THRESHOLD_}}`);
    for (const flag of flags) expect(script).toContain(flag);
  });
});
