/** The directory backend, and how BLOB_STORE_URL chooses a backend. */
import { describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BlobNotFoundError } from '../../src/storage/blob-store.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import { DEFAULT_BLOB_STORE_DIR, blobStoreFromEnv } from '../../src/storage/store-from-env.js';

const newRoot = () => mkdtemp(join(tmpdir(), 'file-blob-store-'));

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe('the directory blob store', () => {
  it('prunes the objects written before a cutoff, but not the kept ones nor those written since', async () => {
    const root = await newRoot();
    const store = new FileBlobStore(root);
    const old = new Date(Date.now() - 3 * 86_400_000);
    for (const key of ['device-lists/old', 'job-parts/j/1', 'payloads/kept', 'payloads/rewritten']) {
      await store.put(key, Buffer.from(key));
      await utimes(join(root, key), old, old);
    }
    // A writer that died between write and rename left this behind.
    await writeFile(join(root, 'payloads', 'x.partial'), 'half');
    await utimes(join(root, 'payloads', 'x.partial'), old, old);
    await store.put('payloads/rewritten', Buffer.from('again'));
    await store.put('payloads/new', Buffer.from('new'));
    const cutoff = new Date(Date.now() - 86_400_000);
    const keep = new Set(['payloads/kept']);

    const counted = await store.prune(cutoff, { keep, dryRun: true });
    expect(counted).toEqual({ objects: 3, bytes: 'device-lists/old'.length + 'job-parts/j/1'.length + 4 });
    expect(await filesUnder(root)).toHaveLength(6);

    expect(await store.prune(cutoff, { keep })).toEqual(counted);
    expect(await filesUnder(root)).toEqual(['payloads/kept', 'payloads/new', 'payloads/rewritten'].sort());
    expect(await store.prune(cutoff, { keep })).toEqual({ objects: 0, bytes: 0 });
    expect(await new FileBlobStore(join(root, 'absent')).prune(cutoff)).toEqual({ objects: 0, bytes: 0 });
  });

  it('stores and returns bytes under nested keys, replacing on a second put', async () => {
    const root = await newRoot();
    const store = new FileBlobStore(root);
    await store.put('jobs/j-1/devices/part-0', Buffer.from('first'));
    await store.put('jobs/j-1/devices/part-0', Buffer.from('second'));
    expect(Buffer.from(await store.get('jobs/j-1/devices/part-0')).toString()).toBe('second');
    expect(await filesUnder(root)).toEqual(['jobs/j-1/devices/part-0']);
  });

  it('writes atomically: a reader during rewrites sees one whole version, never a mix or a truncated file', async () => {
    const store = new FileBlobStore(await newRoot());
    const size = 4 * 1024 * 1024;
    const versions = [Buffer.alloc(size, 1), Buffer.alloc(size, 2)];
    await store.put('big', versions[0]!);
    const seen: string[] = [];
    const writes = (async () => {
      for (let i = 1; i <= 20; i++) await store.put('big', versions[i % 2]!);
    })();
    const reads = (async () => {
      for (let i = 0; i < 40; i++) {
        const data = Buffer.from(await store.get('big'));
        const whole = versions.some((v) => v.equals(data));
        seen.push(whole ? 'whole' : `broken (${data.length} bytes)`);
      }
    })();
    await Promise.all([writes, reads]);
    expect(seen.filter((s) => s !== 'whole')).toEqual([]);
  });

  it('leaves no partial file behind when a write fails', async () => {
    const root = await newRoot();
    const store = new FileBlobStore(root);
    // A directory where the object's file would go: the rename fails.
    await mkdir(join(root, 'taken', 'key'), { recursive: true });
    await expect(store.put('taken/key', Buffer.from('x'))).rejects.toThrow();
    expect(await filesUnder(root)).toEqual([]);
  });

  it('answers BlobNotFoundError for a key never written', async () => {
    const store = new FileBlobStore(await newRoot());
    const missing = store.get('payloads/0000');
    await expect(missing).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.get('payloads/0000')).rejects.toThrow('no object payloads/0000 in the store');
  });

  it('refuses keys that could leave its directory or need escaping, before touching the disk', async () => {
    const root = await newRoot();
    const store = new FileBlobStore(join(root, 'store'));
    const bad = [
      '',
      '../outside',
      'a/../../outside',
      '/etc/passwd',
      'a//b',
      'a/',
      '.hidden',
      'a/.b',
      'with space',
      'back\\slash',
      'x'.repeat(201),
      Array.from({ length: 9 }, () => 'a').join('/'),
    ];
    for (const key of bad) {
      await expect(store.put(key, Buffer.from('x'))).rejects.toThrow('invalid store key');
      await expect(store.get(key)).rejects.toThrow('invalid store key');
    }
    expect(await readdir(root)).toEqual([]);
  });
});

describe('BLOB_STORE_URL', () => {
  it('unset or empty: the directory .data/store under the working directory', () => {
    for (const env of [{}, { BLOB_STORE_URL: '' }]) {
      const store = blobStoreFromEnv(env);
      expect(store).toBeInstanceOf(FileBlobStore);
      expect((store as FileBlobStore).root).toBe(resolve(DEFAULT_BLOB_STORE_DIR));
    }
  });

  it('a path or a file: URL: that directory', async () => {
    const root = await newRoot();
    expect((blobStoreFromEnv({ BLOB_STORE_URL: root }) as FileBlobStore).root).toBe(root);
    expect((blobStoreFromEnv({ BLOB_STORE_URL: pathToFileURL(root).href }) as FileBlobStore).root).toBe(root);
  });

  it('refuses other schemes and a password file without PostgreSQL, naming the variable', () => {
    expect(() => blobStoreFromEnv({ BLOB_STORE_URL: 's3://bucket/prefix' })).toThrow(
      'invalid store settings: BLOB_STORE_URL: must be a directory, a file: URL or a postgres:// URL',
    );
    expect(() => blobStoreFromEnv({ BLOB_STORE_PASSWORD_FILE: '/run/secrets/pg' })).toThrow(
      'BLOB_STORE_PASSWORD_FILE: only for a postgres:// BLOB_STORE_URL',
    );
  });

  it('names an unreadable password file', () => {
    expect(() =>
      blobStoreFromEnv({ BLOB_STORE_URL: 'postgres://u@127.0.0.1:1/db', BLOB_STORE_PASSWORD_FILE: '/nonexistent/pw' }),
    ).toThrow('BLOB_STORE_PASSWORD_FILE: cannot read /nonexistent/pw (ENOENT)');
  });
});
