/**
 * `thingspace-activation store prune --older-than <duration>`: the blob store (BLOB_STORE_URL) only grows — every
 * uploaded list, every big job's parts and every payload Temporal's External Storage offloaded. This deletes the
 * objects written before the cutoff that no workflow Temporal still keeps names (src/storage/keys-in-use.ts), so a
 * running job, a closed job's report and the Web UI's view of a retained history all still find theirs.
 */
import { msToNumber } from '@temporalio/common';
import { Command } from 'commander';
import { payloadCodecsFromEnv } from '../temporal/data-converter.js';
import { connectClient } from '../temporal/connection.js';
import { blobStoreFromEnv } from '../storage/store-from-env.js';
import { keysInUse, UnreadablePayloadError } from '../storage/keys-in-use.js';
import { CliError, type CliIo } from './io.js';

/** Less than this would race jobs being started right now (a list uploaded, the job not yet visible). */
export const MIN_PRUNE_AGE_MS = 60 * 60 * 1000;

function parseAge(value: string): number {
  let ms: number;
  try {
    ms = msToNumber(value as Parameters<typeof msToNumber>[0]);
  } catch {
    ms = NaN;
  }
  if (!Number.isFinite(ms) || ms < MIN_PRUNE_AGE_MS) {
    throw new CliError(
      `--older-than must be a duration of at least 1 hour, such as 30d or 12h (got ${JSON.stringify(value)})`,
    );
  }
  return ms;
}

export function storeCommand(io: CliIo): Command {
  const store = new Command('store').description('the blob store of device lists, job parts and large payloads');
  store
    .command('prune')
    .description('delete stored objects written before a cutoff that no workflow Temporal still keeps names')
    .requiredOption('--older-than <duration>', 'only objects last written longer ago than this (30d, 12h …)')
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .action(async (flags: { olderThan: string; dryRun?: boolean }) => {
      const cutoff = new Date((io.now?.() ?? new Date()).getTime() - parseAge(flags.olderThan));
      const blobs = blobStoreFromEnv(io.env);
      const client = await connectClient();
      try {
        io.err(`Reading which stored objects the workflows in Temporal name (cutoff ${cutoff.toISOString()}) …`);
        const inUse = await keysInUse(client, payloadCodecsFromEnv(io.env), cutoff, (runs) => {
          if (runs % 1_000 === 0) io.err(`  ${runs} workflow runs read`);
        }).catch((err: unknown) => {
          throw err instanceof UnreadablePayloadError ? new CliError(err.message) : err;
        });
        const result = await blobs.prune(cutoff, { keep: inUse.keys, dryRun: flags.dryRun ?? false });
        const mb = (result.bytes / 1024 / 1024).toFixed(1);
        io.out(
          `${flags.dryRun ? 'Would delete' : 'Deleted'} ${result.objects} objects (${mb} MB) written before ` +
            `${cutoff.toISOString()} from ${blobs.description}; kept the ${inUse.keys.size} that ${inUse.runs} ` +
            `workflow runs name (${inUse.wholeHistories} histories read whole).`,
        );
      } finally {
        await client.connection.close();
        await blobs.close();
      }
    });
  return store;
}
