/**
 * BLOB_STORE_URL chooses the backend: unset → the directory `.data/store` under the working directory; a path or
 * `file:` URL → that directory; `postgres://…` → PostgreSQL. Every worker, webhook, codec server and client of one
 * deployment must name the same store (on several hosts: PostgreSQL, or a directory they all mount).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { optionalStringSetting, readSettings, type Env } from '../settings.js';
import type { BlobStore } from './blob-store.js';
import { FileBlobStore } from './file-blob-store.js';

export const DEFAULT_BLOB_STORE_DIR = '.data/store';

const StoreEnvSchema = z.object({ BLOB_STORE_URL: optionalStringSetting() });

export function blobStoreFromEnv(env: Env = process.env): BlobStore {
  const url = readSettings(StoreEnvSchema, env, 'store settings').BLOB_STORE_URL;
  if (url === undefined) return new FileBlobStore(resolve(DEFAULT_BLOB_STORE_DIR));
  if (url.startsWith('file:')) return new FileBlobStore(fileURLToPath(url));
  if (/^postgres(ql)?:/.test(url)) {
    throw new Error('invalid store settings: BLOB_STORE_URL: the PostgreSQL backend is not built yet');
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new Error('invalid store settings: BLOB_STORE_URL: must be a directory, a file: URL or a postgres:// URL');
  }
  return new FileBlobStore(resolve(url));
}
