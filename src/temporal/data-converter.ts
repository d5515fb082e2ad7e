/**
 * The data converter every Temporal client and worker of the product uses: large payloads are gzipped, and when
 * keys are configured every payload is then encrypted. Codecs run in order on encode and in reverse on decode.
 * Failures carry their message and stack trace as an encoded payload (./failure-converter.cjs), so they are
 * encrypted too. Encoded payloads at or above EXTERNAL_STORAGE_THRESHOLD_BYTES (256 KiB) then go to the blob store
 * BLOB_STORE_URL names, and Temporal holds a reference (./external-storage.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import type { Env } from '../settings.js';
import type { BlobStore } from '../storage/blob-store.js';
import { CompressionCodec } from './compression-codec.js';
import { EncryptionCodec, encryptionKeysFromEnv } from './encryption-codec.js';
import { externalStorageFromEnv } from './external-storage.js';

/** Also given to bundleWorkflowCode wherever a workflow bundle is prebuilt, so workflow failures are encoded too. */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));
/**
 * Without encryption, payloads stay plain JSON up to Temporal's payload warning size, so the Web UI shows a job's
 * devices and result as they are even without the codec server; only what would trip the warning is gzipped.
 */
export const PLAIN_COMPRESSION_MIN_BYTES = 512 * 1024;
/** Encrypted payloads are unreadable anyway: gzip them early, as it saves history space and costs nothing. */
export const ENCRYPTED_COMPRESSION_MIN_BYTES = 4 * 1024;

export function payloadCodecsFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadCodec[] {
  const keys = encryptionKeysFromEnv(env, (path) => readFileSync(path, 'utf8'));
  if (!keys) return [new CompressionCodec(PLAIN_COMPRESSION_MIN_BYTES)];
  return [new CompressionCodec(ENCRYPTED_COMPRESSION_MIN_BYTES), new EncryptionCodec(keys)];
}

/**
 * `store` lets a process that already opened the blob store (for device lists) share it; otherwise the store named
 * by BLOB_STORE_URL is opened here. It needs no closing: idle PostgreSQL connections let the process exit.
 */
export function dataConverterFromEnv(env: Env = process.env, options: { store?: BlobStore } = {}): DataConverter {
  return {
    payloadCodecs: payloadCodecsFromEnv(env),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    externalStorage: externalStorageFromEnv(env, options.store),
  };
}
