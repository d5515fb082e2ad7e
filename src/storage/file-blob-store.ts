/** The directory backend: one file per object, written to a temporary name and renamed, so a reader never sees half. */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { BlobNotFoundError, checkBlobKey, type BlobStore, type PruneOptions, type PruneResult } from './blob-store.js';

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

  /** By modification time; `.partial` files left by a writer that died count as objects too. */
  async prune(cutoff: Date, options: PruneOptions = {}): Promise<PruneResult> {
    const result = { objects: 0, bytes: 0 };
    const visit = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          await visit(path);
          continue;
        }
        if (!entry.isFile() || options.keep?.has(relative(this.root, path).split(sep).join('/'))) continue;
        const { mtime, size } = await stat(path);
        if (mtime >= cutoff) continue;
        if (!options.dryRun) await rm(path, { force: true });
        result.objects++;
        result.bytes += size;
      }
    };
    await visit(this.root);
    return result;
  }

  async close(): Promise<void> {}
}
