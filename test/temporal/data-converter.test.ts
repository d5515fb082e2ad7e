import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { GZIP_ENCODING } from '../../src/temporal/compression-codec.js';
import {
  ENCRYPTED_COMPRESSION_MIN_BYTES,
  PLAIN_COMPRESSION_MIN_BYTES,
  payloadCodecsFromEnv,
} from '../../src/temporal/data-converter.js';

const encoding = (p: Payload) => Buffer.from(p.metadata?.[METADATA_ENCODING_KEY] ?? []).toString();
/** A job-like payload of at least `bytes` bytes of JSON (devices of 38 bytes each). */
const devicesOf = (bytes: number) =>
  defaultPayloadConverter.toPayload({
    devices: Array.from({ length: Math.ceil(bytes / 38) }, (_, i) => ({
      kind: 'imei',
      id: `35${String(i).padStart(13, '0')}`,
    })),
  });

describe('the data converter from the environment', () => {
  it('leaves payloads below 16 KB plain JSON when encryption is off, and gzips callback-batch-sized ones', async () => {
    const [codec, ...rest] = payloadCodecsFromEnv({});
    expect(rest).toHaveLength(0);
    const justBelow = devicesOf(PLAIN_COMPRESSION_MIN_BYTES - 2 * 1024);
    expect(justBelow.data!.length).toBeGreaterThan(12 * 1024);
    expect(justBelow.data!.length).toBeLessThan(PLAIN_COMPRESSION_MIN_BYTES);
    const [plain] = await codec!.encode([justBelow]);
    expect(encoding(plain!)).toBe('json/plain');
    const large = devicesOf(100 * 1024);
    expect(large.data!.length).toBeGreaterThan(PLAIN_COMPRESSION_MIN_BYTES);
    const [big] = await codec!.encode([large]);
    expect(encoding(big!)).toBe(GZIP_ENCODING);
    const [decoded] = await codec!.decode([big!]);
    expect(encoding(decoded!)).toBe('json/plain');
    expect(Buffer.from(decoded!.data!).equals(Buffer.from(large.data!))).toBe(true);
  });

  it('keeps a payload as it is when gzip would make it larger (random bytes)', async () => {
    const [codec] = payloadCodecsFromEnv({});
    const random = defaultPayloadConverter.toPayload(randomBytes(64 * 1024));
    const [kept] = await codec!.encode([random]);
    expect(kept).toBe(random);
    expect(encoding(kept!)).toBe('binary/plain');
  });

  it('gzips from 4 KB before encrypting when encryption is on', async () => {
    const env = {
      PAYLOAD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      PAYLOAD_ENCRYPTION_KEY_ID: 'k1',
    };
    const [compression, encryption] = payloadCodecsFromEnv(env);
    expect(encryption).toBeDefined();
    const [small] = await compression!.encode([devicesOf(ENCRYPTED_COMPRESSION_MIN_BYTES / 2)]);
    expect(encoding(small!)).toBe('json/plain');
    const [gzipped] = await compression!.encode([devicesOf(ENCRYPTED_COMPRESSION_MIN_BYTES * 4)]);
    expect(encoding(gzipped!)).toBe(GZIP_ENCODING);
  });
});
