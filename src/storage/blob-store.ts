/**
 * Where the data too big for Temporal's payloads lives: device lists, the parts a big job is split into, and the
 * payloads Temporal's External Storage offloads. One interface, two backends: a directory (the default, enough for
 * one host: the demo, a laptop, CI) and PostgreSQL (several workers on several hosts; the production Temporal
 * already needs a PostgreSQL). Objects are written once and never changed, so neither backend needs locking.
 */
export interface BlobStore {
  /** Writes `data` under `key`; writing the same key again replaces it whole (readers see the old or the new). */
  put(key: string, data: Uint8Array): Promise<void>;
  /** The object under `key`; BlobNotFoundError if there is none. */
  get(key: string): Promise<Uint8Array>;
  /**
   * Deletes the objects last written before `cutoff`, except the keys in `keep` (with `dryRun`, only counts them).
   * Writing a key again counts as writing it. The store cannot tell whether a workflow still names an object:
   * `thingspace-activation store prune` finds those (src/storage/keys-in-use.ts).
   */
  prune(cutoff: Date, options?: PruneOptions): Promise<PruneResult>;
  close(): Promise<void>;
  /** For messages: where the store is, without any password. */
  readonly description: string;
}

export interface PruneOptions {
  keep?: ReadonlySet<string>;
  dryRun?: boolean;
}

export interface PruneResult {
  objects: number;
  bytes: number;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no object ${key} in the store`);
    this.name = 'BlobNotFoundError';
  }
}

/** Keys are paths of plain segments, so no backend ever has to escape one and none can climb out of its root. */
export const BLOB_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,199}(\/[A-Za-z0-9][A-Za-z0-9._@:-]{0,199}){0,7}$/;

export function checkBlobKey(key: string): string {
  if (!BLOB_KEY_PATTERN.test(key)) {
    throw new Error(
      `invalid store key ${JSON.stringify(key.slice(0, 80))}: up to 8 segments separated by /, each 1-200 ` +
        'characters of letters, digits and . _ @ : -, starting with a letter or digit',
    );
  }
  return key;
}
