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

/** Also bundled into the workflow code (./workflow-bundle.ts), so workflow failures are encoded too. */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));
/** Likewise: the default payload converter with native UTF-8 (see the file). */
export const PAYLOAD_CONVERTER_PATH = fileURLToPath(new URL('./payload-converter.cjs', import.meta.url));
/**
 * Without encryption, small payloads stay plain JSON, so the Web UI shows a small job's devices and result as they
 * are even without the codec server. Callback batches (about 100 KB of JSON each, 40 or more per 10,000-device
 * request) are gzipped: plain up to 512 KB, a request's history was 4.5 MB (565-577 KB gzipped), and the worker of
 * a 200,000-device job peaked at 453-472 MB against 417-420 MB, in as much time (two runs each; bench/RESULTS.md,
 * issue 12 notes).
 */
export const PLAIN_COMPRESSION_MIN_BYTES = 16 * 1024;
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
    payloadConverterPath: PAYLOAD_CONVERTER_PATH,
    externalStorage: externalStorageFromEnv(env, options.store),
  };
}
