/**
 * The External Storage driver over a BlobStore, and the settings that configure it (no Temporal server here; the
 * dev-server tests are in external-storage-server.test.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, StorageDriverClaim, type Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { ExternalStorageRunner } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { createCodecServer } from '../../src/codec-server/server.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import { dataConverterFromEnv } from '../../src/temporal/data-converter.js';
import {
  BLOB_STORE_DRIVER_NAME,
  BlobStoreDriver,
  DEFAULT_EXTERNAL_STORAGE_THRESHOLD_BYTES,
  externalStorageFromEnv,
} from '../../src/temporal/external-storage.js';

const PayloadProto = proto.temporal.api.common.v1.Payload;
const newDir = () => mkdtemp(join(tmpdir(), 'extstore-'));
const payloadOf = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);

describe('BlobStoreDriver', () => {
  it('stores each payload as its protobuf under payloads/<sha256> and gives it back equal', async () => {
    const root = await newDir();
    const driver = new BlobStoreDriver(new FileBlobStore(root));
    const payloads = [payloadOf({ devices: ['a', 'b'] }), payloadOf('x'.repeat(10_000))];
    const claims = await driver.store({}, payloads);
    expect(claims).toHaveLength(2);
    for (const [i, claim] of claims.entries()) {
      const bytes = PayloadProto.encode(payloads[i]!).finish();
      const hash = createHash('sha256').update(bytes).digest('hex');
      expect(claim.claimData).toEqual({ key: `payloads/${hash}` });
      expect((await readFile(join(root, 'payloads', hash))).equals(Buffer.from(bytes))).toBe(true);
    }
    const back = await driver.retrieve({}, claims);
    expect(back.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      { devices: ['a', 'b'] },
      'x'.repeat(10_000),
    ]);
  });

  it('gives the same key to the same payload, so a second store writes nothing new', async () => {
    const root = await newDir();
    const driver = new BlobStoreDriver(new FileBlobStore(root));
    const [first] = await driver.store({}, [payloadOf({ n: 1 })]);
    const [again] = await driver.store({}, [payloadOf({ n: 1 })]);
    expect(again!.claimData).toEqual(first!.claimData);
    expect(await readdir(join(root, 'payloads'))).toHaveLength(1);
  });

  it('keeps order when many payloads are stored and retrieved at once', async () => {
    const driver = new BlobStoreDriver(new FileBlobStore(await newDir()));
    const values = Array.from({ length: 50 }, (_, i) => ({ i, pad: randomBytes(1_000 + i * 97).toString('hex') }));
    const claims = await driver.store({}, values.map(payloadOf));
    expect((await driver.retrieve({}, claims)).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(values);
  });

  it('refuses an object that does not match its key (changed in the store)', async () => {
    const root = await newDir();
    const driver = new BlobStoreDriver(new FileBlobStore(root));
    const [claim] = await driver.store({}, [payloadOf({ amount: 1 })]);
    await writeFile(join(root, claim!.claimData.key!), PayloadProto.encode(payloadOf({ amount: 1_000_000 })).finish());
    await expect(driver.retrieve({}, [claim!])).rejects.toThrow('does not match its hash');
  });

  it('says every process must share BLOB_STORE_URL when a reference is not in its store', async () => {
    const root = await newDir();
    const [claim] = await new BlobStoreDriver(new FileBlobStore(join(root, 'a'))).store({}, [payloadOf(1)]);
    const elsewhere = new BlobStoreDriver(new FileBlobStore(join(root, 'b')));
    await expect(elsewhere.retrieve({}, [claim!])).rejects.toThrow(
      `is not in the store (directory ${join(root, 'b')}): every client, worker, webhook and codec server must use the same BLOB_STORE_URL`,
    );
  });

  it('refuses claims without a payloads/<sha256> key (no reading other objects of the store)', async () => {
    const driver = new BlobStoreDriver(new FileBlobStore(await newDir()));
    for (const claimData of [
      {} as Record<string, string>,
      { key: 'jobs/j1/devices' },
      { key: 'payloads/../../etc/passwd' },
    ]) {
      await expect(driver.retrieve({}, [new StorageDriverClaim(claimData)])).rejects.toThrow(
        'an external storage reference without a valid key',
      );
    }
  });
});

describe('External Storage settings', () => {
  it('offloads from 256 KiB by default, to the store BLOB_STORE_URL names', async () => {
    const dir = await newDir();
    const storage = externalStorageFromEnv({ BLOB_STORE_URL: dir });
    expect(storage.payloadSizeThreshold).toBe(DEFAULT_EXTERNAL_STORAGE_THRESHOLD_BYTES);
    expect(DEFAULT_EXTERNAL_STORAGE_THRESHOLD_BYTES).toBe(262_144);
    const driver = storage.getDriver(BLOB_STORE_DRIVER_NAME) as BlobStoreDriver;
    expect(driver.blobs.description).toBe(`directory ${dir}`);
  });

  it('takes EXTERNAL_STORAGE_THRESHOLD_BYTES, and names it when the value is bad', () => {
    expect(externalStorageFromEnv({ EXTERNAL_STORAGE_THRESHOLD_BYTES: '100000' }).payloadSizeThreshold).toBe(100_000);
    expect(() => externalStorageFromEnv({ EXTERNAL_STORAGE_THRESHOLD_BYTES: 'lots' })).toThrow(
      'invalid external storage settings: EXTERNAL_STORAGE_THRESHOLD_BYTES: must be a number',
    );
    for (const bad of ['-1', '3000000']) {
      expect(() => externalStorageFromEnv({ EXTERNAL_STORAGE_THRESHOLD_BYTES: bad })).toThrow(
        'invalid external storage settings: EXTERNAL_STORAGE_THRESHOLD_BYTES: must be an integer from 0 to 2097152',
      );
    }
  });

  it('is part of the product’s data converter, over a store the caller passes in if it has one', async () => {
    const store = new FileBlobStore(await newDir());
    const converter = dataConverterFromEnv({}, { store });
    expect((converter.externalStorage?.getDriver(BLOB_STORE_DRIVER_NAME) as BlobStoreDriver).blobs).toBe(store);
    expect(converter.payloadCodecs).toHaveLength(1);
    expect(converter.failureConverterPath).toMatch(/failure-converter\.cjs$/);
  });
});

describe('the codec server with External Storage', () => {
  const toJson = (p: Payload) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  });

  async function post(storeDir: string, path: '/decode' | '/encode', payloads: Payload[]) {
    const storage = externalStorageFromEnv({ BLOB_STORE_URL: storeDir, EXTERNAL_STORAGE_THRESHOLD_BYTES: '1000' });
    const app = await createCodecServer({ codecs: [], externalStorage: storage, authToken: 't', corsOrigins: [] });
    try {
      // Over HTTP: fastify's inject() needs an ES module jest cannot load on Node 20.
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: JSON.stringify({ payloads: payloads.map(toJson) }),
      });
      return {
        status: response.status,
        body: (await response.json()) as {
          payloads?: { data: string; metadata?: Record<string, string> }[];
          error?: string;
        },
      };
    } finally {
      await app.close();
    }
  }

  it('stores on /encode what is over the threshold, and /decode turns the reference back into the value', async () => {
    const dir = await newDir();
    const value = { devices: 'x'.repeat(5_000) };
    const encoded = await post(dir, '/encode', [payloadOf(value), payloadOf('small')]);
    expect(encoded.status).toBe(200);
    const [reference, small] = encoded.body.payloads!;
    expect(Buffer.from(reference!.data, 'base64').toString()).toContain(BLOB_STORE_DRIVER_NAME);
    expect(JSON.parse(Buffer.from(small!.data, 'base64').toString())).toBe('small');
    const asPayload = (j: { data: string; metadata?: Record<string, string> }): Payload => ({
      metadata: Object.fromEntries(Object.entries(j.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(j.data, 'base64'),
    });
    const decoded = await post(dir, '/decode', [asPayload(reference!)]);
    expect(decoded.status).toBe(200);
    expect(JSON.parse(Buffer.from(decoded.body.payloads![0]!.data, 'base64').toString())).toEqual(value);
  });

  it('answers 400 without naming the store when a reference is not in its store', async () => {
    const writer = new ExternalStorageRunner(externalStorageFromEnv({ BLOB_STORE_URL: await newDir() }));
    const [reference] = await writer.store([payloadOf({ devices: 'y'.repeat(300_000) })]);
    const elsewhere = await newDir();
    const answer = await post(elsewhere, '/decode', [reference!]);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'the payloads could not be decoded or encoded' });
  });
});
