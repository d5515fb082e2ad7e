/**
 * The PostgreSQL backend against a real PostgreSQL 15 (a private instance per file). PostgreSQL missing fails the
 * file with the install command (CI installs it).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BlobNotFoundError } from '../../src/storage/blob-store.js';
import { DEFAULT_BLOB_TABLE, PostgresBlobStore } from '../../src/storage/postgres-blob-store.js';
import { blobStoreFromEnv } from '../../src/storage/store-from-env.js';
import { startTestPostgres, type TestPostgres } from './postgres.js';

let postgres: TestPostgres;
const stores: PostgresBlobStore[] = [];

beforeAll(async () => {
  postgres = await startTestPostgres();
}, 120_000);

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await postgres?.close();
}, 60_000);

function storeOn(table: string): PostgresBlobStore {
  const store = new PostgresBlobStore(postgres.url, { table });
  stores.push(store);
  return store;
}

async function tableExists(table: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    const result = await client.query('SELECT to_regclass($1) AS t', [table]);
    return result.rows[0].t !== null;
  } finally {
    await client.end();
  }
}

describe('the PostgreSQL blob store', () => {
  it('creates its table on first use, then stores and returns bytes exactly', async () => {
    const store = storeOn('blobs_first_use');
    expect(await tableExists('blobs_first_use')).toBe(false);
    const big = randomBytes(3 * 1024 * 1024);
    await store.put('payloads/big', big);
    expect(await tableExists('blobs_first_use')).toBe(true);
    expect(Buffer.from(await store.get('payloads/big')).equals(big)).toBe(true);
    await store.put('empty', new Uint8Array());
    expect(await store.get('empty')).toHaveLength(0);
  });

  it('replaces an object written again under the same key (upsert)', async () => {
    const store = storeOn('blobs_upsert');
    await store.put('jobs/j1/devices', Buffer.from('first'));
    await store.put('jobs/j1/devices', Buffer.from('second'));
    expect(Buffer.from(await store.get('jobs/j1/devices')).toString()).toBe('second');
  });

  it('stores a slice of a larger buffer as the slice only', async () => {
    const store = storeOn('blobs_slice');
    const whole = Buffer.from('0123456789');
    await store.put('slice', whole.subarray(3, 6));
    expect(Buffer.from(await store.get('slice')).toString()).toBe('345');
  });

  it('answers BlobNotFoundError for a key never written', async () => {
    const store = storeOn('blobs_missing');
    await expect(store.get('payloads/nothing-here')).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.get('payloads/nothing-here')).rejects.toThrow('no object payloads/nothing-here in the store');
  });

  it('refuses bad keys', async () => {
    const store = storeOn('blobs_bad_keys');
    for (const key of ['', '../x', '/abs', 'a//b', "x'; DROP TABLE blobs_bad_keys; --"]) {
      await expect(store.put(key, Buffer.from('x'))).rejects.toThrow('invalid store key');
      await expect(store.get(key)).rejects.toThrow('invalid store key');
    }
  });

  it('refuses a table name that is not a plain identifier', () => {
    expect(() => new PostgresBlobStore(postgres.url, { table: 'blobs; DROP TABLE x' })).toThrow(
      'invalid blob table name',
    );
  });

  it('lets several processes that start together create the table and share its objects', async () => {
    const processes = Array.from({ length: 6 }, () => storeOn('blobs_shared'));
    await Promise.all(processes.map((store, i) => store.put(`from/${i}`, Buffer.from(`written by ${i}`))));
    for (const store of processes) {
      for (let i = 0; i < processes.length; i++) {
        expect(Buffer.from(await store.get(`from/${i}`)).toString()).toBe(`written by ${i}`);
      }
    }
  });

  it('describes itself without the password', () => {
    const store = storeOn('blobs_description');
    expect(store.description).toBe(
      `PostgreSQL postgres://temporal:***@127.0.0.1:${postgres.port}/postgres table blobs_description`,
    );
    expect(store.description).not.toContain(postgres.password);
  });

  it('ends its pool on close (twice is harmless), after which it refuses work', async () => {
    const store = new PostgresBlobStore(postgres.url, { table: 'blobs_close' });
    await store.put('k', Buffer.from('v'));
    await store.close();
    await store.close();
    await expect(store.get('k')).rejects.toThrow();
  });

  it('keeps working after PostgreSQL restarts under it', async () => {
    const store = storeOn('blobs_restart');
    await store.put('before', Buffer.from('kept'));
    await postgres.server.stop();
    postgres.server.start();
    await postgres.server.waitFor(/database system is ready to accept connections/, 60_000);
    expect(Buffer.from(await store.get('before')).toString()).toBe('kept');
    await store.put('after', Buffer.from('new'));
    expect(Buffer.from(await store.get('after')).toString()).toBe('new');
  }, 90_000);

  it('is what BLOB_STORE_URL=postgres://… chooses, with the password from BLOB_STORE_PASSWORD_FILE', async () => {
    const secrets = await mkdtemp(join(tmpdir(), 'blob-secret-'));
    const passwordFile = join(secrets, 'password');
    await writeFile(passwordFile, `${postgres.password}\n`);
    const url = `postgres://temporal@127.0.0.1:${postgres.port}/postgres`;
    const store = blobStoreFromEnv({ BLOB_STORE_URL: url, BLOB_STORE_PASSWORD_FILE: passwordFile });
    try {
      expect(store).toBeInstanceOf(PostgresBlobStore);
      expect(store.description).toBe(`PostgreSQL ${url} table ${DEFAULT_BLOB_TABLE}`);
      await store.put('from-env', Buffer.from('yes'));
      expect(Buffer.from(await store.get('from-env')).toString()).toBe('yes');
    } finally {
      await store.close();
    }
  });

  it('prunes the rows written before a cutoff, but not the kept ones nor those written again since', async () => {
    const store = storeOn('blobs_prune');
    for (const key of ['device-lists/old', 'job-parts/j/1', 'payloads/kept', 'payloads/rewritten', 'payloads/new']) {
      await store.put(key, Buffer.from(key));
    }
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      await client.query(`UPDATE blobs_prune SET created_at = now() - interval '3 days' WHERE key <> 'payloads/new'`);
    } finally {
      await client.end();
    }
    await store.put('payloads/rewritten', Buffer.from('again'));
    const cutoff = new Date(Date.now() - 86_400_000);
    const keep = new Set(['payloads/kept']);

    const counted = await store.prune(cutoff, { keep, dryRun: true });
    expect(counted).toEqual({ objects: 2, bytes: 'device-lists/old'.length + 'job-parts/j/1'.length });
    expect(await store.prune(cutoff, { keep })).toEqual(counted);
    await expect(store.get('device-lists/old')).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.get('job-parts/j/1')).rejects.toBeInstanceOf(BlobNotFoundError);
    for (const key of ['payloads/kept', 'payloads/rewritten', 'payloads/new']) await store.get(key);
    expect(await store.prune(cutoff)).toEqual({ objects: 1, bytes: 'payloads/kept'.length });
  });

  it('fails with PostgreSQL’s reason when the password is wrong', async () => {
    const url = `postgres://temporal:wrong@127.0.0.1:${postgres.port}/postgres`;
    const store = new PostgresBlobStore(url, { table: 'blobs_bad_password' });
    try {
      await expect(store.get('x')).rejects.toThrow('password authentication failed for user "temporal"');
      expect(store.description).not.toContain(':wrong@');
    } finally {
      await store.close();
    }
  });
});
