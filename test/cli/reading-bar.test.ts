/**
 * The bar `report --output` and `status` show on standard error while they read a report, and how often the bar of
 * `activate --wait` reads a job.
 */
import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pollDelay, withReadingBar } from '../../src/cli/progress-bar.js';

function stream(isTTY: boolean) {
  const written: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString());
      done();
    },
  });
  return { out: Object.assign(out, { isTTY, columns: 120 }), written };
}

async function* pagesOf(...sizes: number[]) {
  for (const size of sizes) yield Array.from({ length: size }, (_, i) => i);
}

describe('withReadingBar', () => {
  it('hands the pages on unchanged and counts the devices read on a terminal', async () => {
    const { out, written } = stream(true);
    const seen: number[] = [];
    for await (const page of withReadingBar(pagesOf(500, 500, 200), 1_200, out)) seen.push(page.length);
    expect(seen).toEqual([500, 500, 200]);
    const text = written.join('');
    expect(text).toContain('reading the report');
    expect(text).toMatch(/ 0\/1200 devices/);
  });

  it('writes nothing where standard error is not a terminal (a log, a pipe)', async () => {
    const { out, written } = stream(false);
    let devices = 0;
    for await (const page of withReadingBar(pagesOf(500, 700), 1_200, out)) devices += page.length;
    expect(devices).toBe(1_200);
    expect(written.join('')).toBe('');
  });
});

describe('pollDelay', () => {
  it('reads every interval while readings are quick, and waits four times a slow reading', () => {
    expect(pollDelay(1_000, 0)).toBe(1_000);
    expect(pollDelay(1_000, 200)).toBe(1_000);
    // A reading of a big running job that took 10 s: the worker replays for at most a fifth of the time.
    expect(pollDelay(1_000, 10_000)).toBe(40_000);
  });
});
