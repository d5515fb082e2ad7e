/**
 * BLOB_STORE_URL chooses the backend: unset → the directory `.data/store` under the working directory; a path or
 * `file:` URL → that directory; `postgres://…` → PostgreSQL, whose password may instead come from the file named by
 * BLOB_STORE_PASSWORD_FILE (a mounted secret). Every worker, webhook, codec server and client of one deployment must
 * name the same store (on several hosts: PostgreSQL, or a directory they all mount).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { optionalStringSetting, readSettings, type Env } from '../settings.js';
import type { BlobStore } from './blob-store.js';
import { FileBlobStore } from './file-blob-store.js';
import { PostgresBlobStore } from './postgres-blob-store.js';

export const DEFAULT_BLOB_STORE_DIR = '.data/store';

const StoreEnvSchema = z.object({
  BLOB_STORE_URL: optionalStringSetting(),
  BLOB_STORE_PASSWORD_FILE: optionalStringSetting(),
});

export function blobStoreFromEnv(env: Env = process.env): BlobStore {
  const settings = readSettings(StoreEnvSchema, env, 'store settings');
  const url = settings.BLOB_STORE_URL;
  if (settings.BLOB_STORE_PASSWORD_FILE !== undefined && (url === undefined || !isPostgresUrl(url))) {
    throw new Error('invalid store settings: BLOB_STORE_PASSWORD_FILE: only for a postgres:// BLOB_STORE_URL');
  }
  if (url === undefined) return new FileBlobStore(resolve(DEFAULT_BLOB_STORE_DIR));
  if (url.startsWith('file:')) return new FileBlobStore(fileURLToPath(url));
  if (isPostgresUrl(url)) {
    const passwordFile = settings.BLOB_STORE_PASSWORD_FILE;
    return new PostgresBlobStore(url, passwordFile === undefined ? {} : { password: readPassword(passwordFile) });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new Error('invalid store settings: BLOB_STORE_URL: must be a directory, a file: URL or a postgres:// URL');
  }
  return new FileBlobStore(resolve(url));
}

const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

function readPassword(path: string): string {
  let password: string;
  try {
    password = readFileSync(path, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`invalid store settings: BLOB_STORE_PASSWORD_FILE: cannot read ${path} (${code})`);
  }
  if (password === '') throw new Error(`invalid store settings: BLOB_STORE_PASSWORD_FILE: ${path} is empty`);
  return password;
}
