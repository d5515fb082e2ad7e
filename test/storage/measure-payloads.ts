/**
 * `npx tsx test/storage/measure-payloads.ts [devices…]`: how big a job's device list is as a payload (JSON, then
 * gzip + AES-GCM as the product encodes it), how small its reference is, and how long the store takes, on both
 * backends (a private PostgreSQL 15 is started). The README's figures come from this. Not a test: nothing fails.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { ExternalStorageRunner } from '@temporalio/common/lib/internal-non-workflow/index.js';
import proto from '@temporalio/proto';
import { dataConverterFromEnv } from '../../src/temporal/data-converter.js';
import { jobRequest, seedDevice } from '../harness/activation.js';
import { startTestPostgres } from './postgres.js';

const sizeOf = (p: Payload) => proto.temporal.api.common.v1.Payload.encode(p).finish().length;
const counts = process.argv.slice(2).map(Number);
const postgres = await startTestPostgres();
const dir = await mkdtemp(join(tmpdir(), 'measure-payloads-'));
try {
  for (const devices of counts.length > 0 ? counts : [50_000, 250_000, 1_000_000]) {
    const request = jobRequest(
      'measure',
      Array.from({ length: devices }, (_, i) => seedDevice(i)),
    );
    for (const [backend, url] of [
      ['directory', dir],
      ['postgresql', postgres.url],
    ] as const) {
      const env = {
        BLOB_STORE_URL: url,
        PAYLOAD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        PAYLOAD_ENCRYPTION_KEY_ID: 'k1',
      };
      const converter = dataConverterFromEnv(env);
      const codecs = converter.payloadCodecs ?? [];
      const storage = new ExternalStorageRunner(converter.externalStorage!);
      let payloads = [defaultPayloadConverter.toPayload(request)];
      const json = sizeOf(payloads[0]!);
      for (const codec of codecs) payloads = await codec.encode(payloads);
      const encoded = sizeOf(payloads[0]!);
      let start = performance.now();
      const references = await storage.store(payloads);
      const storeMs = performance.now() - start;
      start = performance.now();
      let back = await storage.retrieve(references);
      const retrieveMs = performance.now() - start;
      let decoded = 'decodes';
      try {
        for (const codec of [...codecs].reverse()) back = await codec.decode(back);
        defaultPayloadConverter.fromPayload(back[0]!);
      } catch (err) {
        decoded = `does not decode: ${(err as Error).message}`;
      }
      console.log(
        `${devices} devices, ${backend}: JSON ${json} bytes, encoded ${encoded} bytes, reference ` +
          `${sizeOf(references[0]!)} bytes; store ${storeMs.toFixed(0)} ms, retrieve ${retrieveMs.toFixed(0)} ms; ${decoded}`,
      );
    }
  }
} finally {
  await postgres.close();
  await rm(dir, { recursive: true, force: true });
}
