/**
 * Temporal's External Storage (claim check) over our BlobStore: a payload at or above the threshold is written to the
 * store and only a small reference goes through Temporal (history, activations, the Web UI). The SDK runs the codecs
 * (gzip, then AES-GCM when keys are configured) before it hands a payload to the driver, so what the store holds is
 * exactly what Temporal would have held: encrypted when encryption is on. Every client, worker, webhook and codec
 * server of a deployment must reach the same store, or a reference cannot be resolved (the workflow task then fails
 * with that reason and is retried).
 */
import { createHash } from 'node:crypto';
import {
  ExternalStorage,
  StorageDriverClaim,
  ValueError,
  type DataConverter,
  type Payload,
  type StorageDriver,
  type StorageDriverRetrieveContext,
  type StorageDriverStoreContext,
} from '@temporalio/common';
import { ExternalStorageRunner } from '@temporalio/common/lib/internal-non-workflow/index.js';
import proto from '@temporalio/proto';
import PQueue from 'p-queue';
import { z } from 'zod';
import { intSetting, readSettings, type Env } from '../settings.js';
import { BlobNotFoundError, type BlobStore } from '../storage/blob-store.js';
import { blobStoreFromEnv } from '../storage/store-from-env.js';

// A CommonJS module: Node's ESM loader offers only its default export.
const PayloadProto = proto.temporal.api.common.v1.Payload;

/** Written into every reference: a driver of another name (another deployment's) cannot resolve our references. */
export const BLOB_STORE_DRIVER_NAME = 'thingspace-blob-store';
/** Reported in worker heartbeats. */
export const BLOB_STORE_DRIVER_TYPE = 'thingspace.blob-store';
/**
 * Temporal warns at 512 KB per payload and refuses 2 MB; the SDK's own default, 256 KiB, keeps every payload that
 * reaches Temporal at half the warning size.
 */
export const DEFAULT_EXTERNAL_STORAGE_THRESHOLD_BYTES = 256 * 1024;
/** Above Temporal's 2 MB limit a threshold would let payloads through that Temporal refuses. */
export const MAX_EXTERNAL_STORAGE_THRESHOLD_BYTES = 2 * 1024 * 1024;
/** Store operations per batch at once: a history page can hold hundreds of references. */
const CONCURRENCY = 8;

const KEY_PREFIX = 'payloads/';
const KEY_PATTERN = /^payloads\/[0-9a-f]{64}$/;

export const ExternalStorageEnvSchema = z.object({
  EXTERNAL_STORAGE_THRESHOLD_BYTES: intSetting(
    0,
    MAX_EXTERNAL_STORAGE_THRESHOLD_BYTES,
    DEFAULT_EXTERNAL_STORAGE_THRESHOLD_BYTES,
  ),
});

/**
 * Stores each payload as its serialized protobuf (metadata and data, as Temporal would hold it) under
 * `payloads/<sha256 of those bytes>`: the key names the content, so writing it twice is harmless and a read can
 * check that it got what was written.
 */
export class BlobStoreDriver implements StorageDriver {
  readonly type = BLOB_STORE_DRIVER_TYPE;

  constructor(
    readonly blobs: BlobStore,
    readonly name = BLOB_STORE_DRIVER_NAME,
  ) {}

  async store(_context: StorageDriverStoreContext, payloads: Payload[]): Promise<StorageDriverClaim[]> {
    return this.each(payloads, async (payload) => {
      const bytes = PayloadProto.encode(payload).finish();
      const key = KEY_PREFIX + sha256(bytes);
      await this.blobs.put(key, bytes);
      return new StorageDriverClaim({ key });
    });
  }

  async retrieve(_context: StorageDriverRetrieveContext, claims: StorageDriverClaim[]): Promise<Payload[]> {
    return this.each(claims, async (claim) => {
      const key = claim.claimData.key;
      if (key === undefined || !KEY_PATTERN.test(key)) {
        throw new ValueError('an external storage reference without a valid key (payloads/<sha256 hex>)');
      }
      let bytes: Uint8Array;
      try {
        bytes = await this.blobs.get(key);
      } catch (err) {
        if (!(err instanceof BlobNotFoundError)) throw err;
        throw new ValueError(
          `payload ${key} is not in the store (${this.blobs.description}): every client, worker, webhook and codec ` +
            'server must use the same BLOB_STORE_URL',
        );
      }
      if (KEY_PREFIX + sha256(bytes) !== key) {
        throw new ValueError(`payload ${key} in the store (${this.blobs.description}) does not match its hash`);
      }
      return PayloadProto.decode(bytes);
    });
  }

  private async each<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
    if (items.length <= 1) return Promise.all(items.map(fn));
    const queue = new PQueue({ concurrency: CONCURRENCY });
    return Promise.all(items.map((item) => queue.add(() => fn(item))));
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** EXTERNAL_STORAGE_THRESHOLD_BYTES (default 256 KiB) over `store` (default: the one BLOB_STORE_URL names). */
export function externalStorageFromEnv(env: Env = process.env, store?: BlobStore): ExternalStorage {
  const settings = readSettings(ExternalStorageEnvSchema, env, 'external storage settings');
  return new ExternalStorage({
    drivers: [new BlobStoreDriver(store ?? blobStoreFromEnv(env))],
    payloadSizeThreshold: settings.EXTERNAL_STORAGE_THRESHOLD_BYTES,
  });
}

/**
 * `handle.fetchHistory()` returns history as Temporal holds it, references included (result(), query() and
 * describe() resolve them; fetchHistory does not). Code that decodes history payloads itself, e.g. a job's input from
 * its first event, resolves them here first, then decodes (decodeFromPayloadsAtIndex). Without External Storage
 * configured, payloads are returned as they are.
 */
export async function retrieveStoredPayloads(
  converter: Pick<DataConverter, 'externalStorage'>,
  payloads: Payload[],
): Promise<Payload[]> {
  if (!converter.externalStorage) return payloads;
  return new ExternalStorageRunner(converter.externalStorage).retrieve(payloads);
}
