/** The directory backend: one file per object, written to a temporary name and renamed, so a reader never sees half. */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BlobNotFoundError, checkBlobKey, type BlobStore } from './blob-store.js';

export class FileBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  get description(): string {
    return `directory ${this.root}`;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const path = join(this.root, checkBlobKey(key));
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${randomUUID()}.partial`;
    try {
      await writeFile(temporary, data);
      await rename(temporary, path);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return await readFile(join(this.root, checkBlobKey(key)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(key);
      throw err;
    }
  }

  async close(): Promise<void> {}
}
