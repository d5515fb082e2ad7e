/**
 * Recorded histories keep the workflow code honest: the replay test runs them against the current code, so a
 * change that would break workflows already running fails CI. Record afresh with `RECORD_HISTORIES=1 npm test`.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { obtainTemporalCli } from '../../src/devserver/temporal-cli.js';

export const HISTORIES_DIR = fileURLToPath(new URL('../histories/', import.meta.url));

/** Saves the history of a finished workflow under `name` when RECORD_HISTORIES is set. */
export async function recordHistory(workflowId: string, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  // The CLI writes the proto3 JSON that historyFromJSON reads (the SDK's historyToJSON trips over jest's module
  // registry, which gives the client and @temporalio/common separate protobuf instances).
  const cli = await obtainTemporalCli();
  if (cli.kind !== 'binary') throw new Error('recording histories needs the Temporal CLI binary');
  const { stdout } = await promisify(execFile)(
    cli.path,
    [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--address',
      process.env.TEMPORAL_TEST_ADDRESS!,
      '--output',
      'json',
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  await mkdir(HISTORIES_DIR, { recursive: true });
  await writeFile(join(HISTORIES_DIR, `${name}.json`), stdout);
}

export async function recordedHistories(): Promise<{ name: string; history: unknown }[]> {
  const files = (await readdir(HISTORIES_DIR)).filter((file) => file.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => ({
      name: file.replace(/\.json$/, ''),
      history: JSON.parse(await readFile(join(HISTORIES_DIR, file), 'utf8')),
    })),
  );
}
