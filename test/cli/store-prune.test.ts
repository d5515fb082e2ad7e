/**
 * `store prune` against the run's dev server: the objects a workflow Temporal keeps names (in its input, through an
 * External Storage reference, later in its history) survive; the others written before the cutoff go.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ExternalStorage, msToTs } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import { keysInUse } from '../../src/storage/keys-in-use.js';
import { BlobStoreDriver } from '../../src/temporal/external-storage.js';
import { Client, type WorkflowClient } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { connectTestClient, uniqueTaskQueue, type TestTemporal } from '../harness/temporal.js';

const DAY = 86_400_000;
const prefix = `prune-${randomUUID()}`;
const listKey = `device-lists/${'a'.repeat(64)}`;
const orphanKey = `device-lists/${'b'.repeat(64)}`;
const partKey = `job-parts/${prefix}/7`;

let dir: string;
let store: FileBlobStore;
let temporal: TestTemporal;
let storedInput: string;
/** A namespace of this file's own: the dev server's is shared with every other test file and their payloads. */
const namespace = `prune-${randomUUID().slice(0, 8)}`;
let client: Client;

function clientIn(dataConverter: DataConverter): Client {
  return new Client({ connection: temporal.connection, namespace, dataConverter });
}

async function visible(workflows: WorkflowClient, count: number): Promise<void> {
  // Visibility lags the starts a little.
  while ((await workflows.count()).count < count) await new Promise((r) => setTimeout(r, 100));
}

async function keysOnDisk(): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

async function makeOld(key: string): Promise<void> {
  const old = new Date(Date.now() - 3 * DAY);
  await utimes(join(dir, key), old, old);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-prune-'));
  store = new FileBlobStore(dir);
  temporal = await connectTestClient();
  await temporal.connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  // Inputs of 1 KB and more go to the store, as a big job's would.
  client = clientIn({
    externalStorage: new ExternalStorage({ drivers: [new BlobStoreDriver(store)], payloadSizeThreshold: 1024 }),
  });
  // A new namespace takes a moment to be served.
  for (;;) {
    try {
      await client.workflow.count();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  process.env.TEMPORAL_ADDRESS = process.env.TEMPORAL_TEST_ADDRESS;
  process.env.TEMPORAL_NAMESPACE = namespace;
  for (const key of [listKey, orphanKey, partKey]) await store.put(key, Buffer.from(key));

  // No worker polls this queue: the workflows stay running with nothing but their inputs and a signal.
  const taskQueue = uniqueTaskQueue('store-prune');
  const named = await client.workflow.start('activationJob', {
    taskQueue,
    workflowId: `${prefix}-named`,
    args: [{ jobId: `${prefix}-named`, deviceList: listKey }],
  });
  await named.signal('partSubmitted', partKey);
  await client.workflow.start('activationJob', {
    taskQueue,
    workflowId: `${prefix}-stored`,
    args: [{ jobId: `${prefix}-stored`, note: 'x'.repeat(4096) }],
  });
  storedInput = (await keysOnDisk()).find((key) => key.startsWith('payloads/'))!;
  for (const key of await keysOnDisk()) await makeOld(key);
  await visible(client.workflow, 2);
});

afterAll(async () => {
  for (const id of [`${prefix}-named`, `${prefix}-stored`, `${prefix}-sealed`]) {
    await client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => {});
  }
  await temporal.close();
  await rm(dir, { recursive: true, force: true });
});

describe('keys in use', () => {
  it('reads only the inputs of workflows started after the cutoff, and whole histories before it', async () => {
    expect(storedInput).toMatch(/^payloads\/[0-9a-f]{64}$/);
    const recent = await keysInUse(client, [], new Date(Date.now() - DAY));
    expect(recent).toEqual({ keys: new Set([listKey, storedInput]), runs: 2, wholeHistories: 0 });

    // The signal naming the part is after the start: only a whole history shows it.
    const older = await keysInUse(client, [], new Date(Date.now() + DAY));
    expect(older).toEqual({ keys: new Set([listKey, storedInput, partKey]), runs: 2, wholeHistories: 2 });
  });
});

async function prune(args: string[], now?: Date) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['store', 'prune', ...args], {
    env: { ...process.env, BLOB_STORE_URL: dir },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    ...(now && { now: () => now }),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('store prune', () => {
  it('refuses an age that is not a duration of at least an hour, naming the flag', async () => {
    for (const age of ['10m', 'soon']) {
      const run = await prune(['--older-than', age]);
      expect(run.code).not.toBe(0);
      expect(run.err).toContain('--older-than must be a duration of at least 1 hour');
    }
    expect(await keysOnDisk()).toHaveLength(4);
  });

  it('counts on a dry run, then deletes only what no workflow names', async () => {
    const dry = await prune(['--older-than', '1d', '--dry-run']);
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.out).toMatch(/^Would delete 2 objects/);
    expect(await keysOnDisk()).toHaveLength(4);

    const run = await prune(['--older-than', '1d']);
    expect(run).toMatchObject({ code: 0 });
    expect(run.out).toMatch(/^Deleted 2 objects/);
    // The part's key is named after its workflow started, which is after this cutoff: it was not looked for.
    expect(await keysOnDisk()).toEqual([listKey, storedInput].sort());

    // Three days on, with the same age, the workflows started before the cutoff are read whole; nothing they name
    // goes.
    const later = await prune(['--older-than', '1d'], new Date(Date.now() + 3 * DAY));
    expect(later).toMatchObject({ code: 0 });
    expect(later.out).toMatch(/^Deleted 0 objects/);
    expect(await keysOnDisk()).toEqual([listKey, storedInput].sort());
  });
});

describe('with payloads it cannot open, store prune', () => {
  it('refuses rather than take the objects they name for unused', async () => {
    const sealed = clientIn({
      payloadCodecs: [
        {
          encode: async (payloads) =>
            payloads.map((p) => ({ ...p, metadata: { ...p.metadata, encoding: Buffer.from('binary/encrypted') } })),
          decode: async (payloads) => payloads,
        },
      ],
    });
    const workflowId = `${prefix}-sealed`;
    try {
      await sealed.workflow.start('activationJob', {
        taskQueue: uniqueTaskQueue('store-prune'),
        workflowId,
        args: [{ jobId: workflowId, deviceList: listKey }],
      });
      await visible(client.workflow, 3);
      await expect(keysInUse(client, [], new Date(Date.now() - DAY))).rejects.toThrow(
        `cannot read a payload of workflow ${workflowId}`,
      );
      const run = await prune(['--older-than', '1d']);
      expect(run.code).not.toBe(0);
      expect(run.err).toContain(`cannot read a payload of workflow ${workflowId} (run `);
      expect(await keysOnDisk()).toEqual([listKey, storedInput].sort());
    } finally {
      await sealed.workflow
        .getHandle(workflowId)
        .terminate('test over')
        .catch(() => {});
    }
  });
});
