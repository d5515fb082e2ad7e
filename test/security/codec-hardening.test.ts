/**
 * The payload codecs against hostile input: forged or truncated AES-GCM ciphertexts, payloads relabelled with
 * another key id, a gzip bomb (through the codec and through the codec server, which must keep serving), and
 * failure messages, which are encrypted like every other payload once the failure converter encodes them.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { WorkflowFailedError } from '@temporalio/client';
import { Client } from '@temporalio/client';
import {
  ApplicationFailure,
  METADATA_ENCODING_KEY,
  ValueError,
  defaultPayloadConverter,
  type DataConverter,
  type Payload,
} from '@temporalio/common';
import proto from '@temporalio/proto';
import { createCodecServer } from '../../src/codec-server/server.js';
import { CompressionCodec, GZIP_ENCODING } from '../../src/temporal/compression-codec.js';
import { FAILURE_CONVERTER_PATH } from '../../src/temporal/data-converter.js';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  KEY_ID_METADATA,
  encryptionKeysFromEnv,
} from '../../src/temporal/encryption-codec.js';
import { validateJobRequest } from '../../src/activities/validate-job.js';
import { activationJob } from '../../src/workflows/job.js';
import { DEFAULT_ACCOUNT } from '../harness/activation.js';
import { failure } from '../harness/failure.js';
import { connectTestClient, uniqueTaskQueue, withWorker, type TestTemporal } from '../harness/temporal.js';

const { temporal: api } = proto;
const k1 = randomBytes(32);
const k2 = randomBytes(32);
const text = new TextEncoder();
const codecWith = (activeKeyId: string, keys: [string, Uint8Array][]) =>
  new EncryptionCodec({ activeKeyId, keys: new Map(keys) });
const secret = defaultPayloadConverter.toPayload({ lastName: 'Beeblebrox' });
const opened = (payload: Payload) => defaultPayloadConverter.fromPayload(payload);

/** A payload as the codec wrote it before format 2: no associated data, no format marker. */
function legacySeal(keyId: string, key: Uint8Array, payload: Payload): Payload {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([
    iv,
    cipher.update(api.api.common.v1.Payload.encode(payload).finish()),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return {
    metadata: { [METADATA_ENCODING_KEY]: text.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: text.encode(keyId) },
    data,
  };
}

const withData = (payload: Payload, data: Uint8Array): Payload => ({ ...payload, data });

describe('EncryptionCodec against forged payloads', () => {
  const codec = codecWith('k1', [['k1', k1]]);

  it('refuses a ciphertext shorter than nonce + 16-byte tag', async () => {
    const [sealed] = await codec.encode([secret]);
    for (const length of [0, 12, 16, 27]) {
      await expect(codec.decode([withData(sealed!, sealed!.data!.subarray(0, length))])).rejects.toThrow(
        `encrypted payload is ${length} bytes, shorter than its nonce and tag (28)`,
      );
    }
  });

  it('refuses a truncated tag: a 4-byte tag (which Node accepts unless told the length) does not open', async () => {
    const [sealed] = await codec.encode([secret]);
    const data = sealed!.data!;
    // nonce ‖ ciphertext ‖ first 4 bytes of the tag: long enough to pass the length check.
    const truncated = data.subarray(0, data.length - 12);
    expect(truncated.length).toBeGreaterThanOrEqual(28);
    await expect(codec.decode([withData(sealed!, truncated)])).rejects.toThrow(
      'encrypted payload failed authentication',
    );
    // And one flipped bit anywhere fails too (control: the untouched payload opens).
    expect(opened((await codec.decode([sealed!]))[0]!)).toEqual({ lastName: 'Beeblebrox' });
    const flipped = Buffer.from(data);
    flipped[20]! ^= 1;
    await expect(codec.decode([withData(sealed!, flipped)])).rejects.toThrow('failed authentication');
  });

  it('binds the key id: a payload relabelled with another configured id does not open, even under the same key', async () => {
    // The same key material under two ids (a rotation that re-registered a key): only the AAD tells them apart.
    const twoIds = codecWith('k1', [
      ['k1', k1],
      ['k1-again', k1],
      ['k2', k2],
    ]);
    const [sealed] = await twoIds.encode([secret]);
    expect(opened((await twoIds.decode([sealed!]))[0]!)).toEqual({ lastName: 'Beeblebrox' });
    for (const id of ['k1-again', 'k2']) {
      const relabelled = { ...sealed!, metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: text.encode(id) } };
      await expect(twoIds.decode([relabelled])).rejects.toThrow('encrypted payload failed authentication');
    }
    // Dropping the format marker does not downgrade it to the unauthenticated-id format: the tag covers the AAD.
    const unmarked = legacyLike(sealed!);
    await expect(twoIds.decode([unmarked])).rejects.toThrow('encrypted payload failed authentication');
  });

  it('still opens payloads written in the previous format (running workflows hold them), and refuses their relabelling to another key', async () => {
    const old = legacySeal('k1', k1, secret);
    expect(opened((await codec.decode([old]))[0]!)).toEqual({ lastName: 'Beeblebrox' });
    const rotated = codecWith('k2', [
      ['k1', k1],
      ['k2', k2],
    ]);
    const relabelled = { ...old, metadata: { ...old.metadata, [KEY_ID_METADATA]: text.encode('k2') } };
    await expect(rotated.decode([relabelled])).rejects.toThrow('failed authentication');
  });

  it('refuses an unknown format marker rather than guessing', async () => {
    const [sealed] = await codec.encode([secret]);
    const future = { ...sealed!, metadata: { ...sealed!.metadata, 'encryption-format': text.encode('9') } };
    await expect(codec.decode([future])).rejects.toThrow('payload has an unknown encryption format');
  });

  it('PAYLOAD_ENCRYPTION_REQUIRED=true refuses to run without keys', () => {
    const read = () => '';
    expect(encryptionKeysFromEnv({}, read)).toBeUndefined();
    expect(() => encryptionKeysFromEnv({ PAYLOAD_ENCRYPTION_REQUIRED: 'true' }, read)).toThrow(
      'PAYLOAD_ENCRYPTION_KEYS or PAYLOAD_ENCRYPTION_KEYS_FILE: is required (PAYLOAD_ENCRYPTION_REQUIRED=true)',
    );
    expect(() => encryptionKeysFromEnv({ PAYLOAD_ENCRYPTION_REQUIRED: 'yes' }, read)).toThrow(
      'PAYLOAD_ENCRYPTION_REQUIRED must be true or false',
    );
    const keys = encryptionKeysFromEnv(
      {
        PAYLOAD_ENCRYPTION_REQUIRED: 'true',
        PAYLOAD_ENCRYPTION_KEYS_FILE: '/run/secrets/keys',
        PAYLOAD_ENCRYPTION_KEY_ID: 'k1',
      },
      () => `k1:${k1.toString('base64')}\n`,
    );
    expect(keys?.activeKeyId).toBe('k1');
  });
});

/** The format-2 payload with its marker removed. */
function legacyLike(payload: Payload): Payload {
  const metadata = { ...payload.metadata };
  delete metadata['encryption-format'];
  return { ...payload, metadata };
}

/** 200 MiB of zeros, gzipped to about 200 KB: a payload a worker must refuse without allocating 200 MiB. */
const bomb = (): Payload => ({
  metadata: { [METADATA_ENCODING_KEY]: text.encode(GZIP_ENCODING) },
  data: gzipSync(Buffer.alloc(200 * 1024 * 1024)),
});

describe('CompressionCodec against a gzip bomb', () => {
  it('fails cleanly beyond its output bound and keeps decoding ordinary payloads', async () => {
    const codec = new CompressionCodec();
    const payload = bomb();
    expect(payload.data!.length).toBeLessThan(300 * 1024);
    const before = process.memoryUsage().rss;
    const error = await failure(codec.decode([payload]));
    expect(error).toBeInstanceOf(ValueError);
    expect(error.message).toBe('gzip payload expands beyond 67108864 bytes');
    // zlib stops at the bound: the process never held the 200 MiB.
    expect(process.memoryUsage().rss - before).toBeLessThan(150 * 1024 * 1024);

    const big = defaultPayloadConverter.toPayload({ filler: 'x'.repeat(10_000) });
    const [compressed] = await codec.encode([big]);
    expect(compressed!.data!.length).toBeLessThan(1_000);
    expect(opened((await codec.decode([compressed!]))[0]!)).toEqual({ filler: 'x'.repeat(10_000) });
  });

  it('names damaged data as such', async () => {
    const codec = new CompressionCodec();
    const damaged = { ...bomb(), data: Buffer.from('not gzip at all') };
    await expect(codec.decode([damaged])).rejects.toThrow(/gzip payload could not be decompressed \(Z_DATA_ERROR\)/);
  });
});

describe('codec server answers', () => {
  const toJson = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
    data: Buffer.from(p.data!).toString('base64'),
  });

  it('name no key id, survive a gzip bomb, and keep decoding afterwards', async () => {
    const sealer = codecWith('prod-2026-key', [['prod-2026-key', k1]]);
    const reader = codecWith('other-key', [['other-key', k2]]);
    const app = await createCodecServer({
      codecs: [new CompressionCodec(), reader],
      authToken: 'ui-token',
      corsOrigins: [],
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const decode = async (payloads: Payload[]) => {
      const res = await fetch(`${base}/decode`, {
        method: 'POST',
        body: JSON.stringify({ payloads: payloads.map(toJson) }),
        headers: { 'content-type': 'application/json', authorization: 'Bearer ui-token' },
      });
      return { status: res.status, text: await res.text() };
    };
    try {
      const [foreign] = await sealer.encode([secret]);
      const unknownKey = await decode([foreign!]);
      expect(unknownKey.status).toBe(400);
      expect(unknownKey.text).not.toContain('prod-2026-key');
      expect(unknownKey.text).not.toContain('other-key');
      expect(JSON.parse(unknownKey.text)).toEqual({ error: 'the payloads could not be decoded or encoded' });

      const [own] = await reader.encode([secret]);
      const truncated = await decode([withData(own!, own!.data!.subarray(0, 20))]);
      expect(truncated.status).toBe(400);
      expect(truncated.text).not.toContain('other-key');

      // The bomb, sealed so that it reaches the gunzip step the way a stored payload would.
      const [sealedBomb] = await reader.encode([bomb()]);
      const bombed = await decode([sealedBomb!]);
      expect(bombed.status).toBe(400);

      const ok = await decode([own!]);
      expect(ok.status).toBe(200);
      const [payload] = (JSON.parse(ok.text) as { payloads: { data: string }[] }).payloads;
      expect(JSON.parse(Buffer.from(payload!.data, 'base64').toString())).toEqual({ lastName: 'Beeblebrox' });
    } finally {
      await app.close();
    }
  });
});

describe('failure messages in stored history', () => {
  let plain: TestTemporal;
  beforeAll(async () => {
    plain = await connectTestClient();
  });
  afterAll(async () => {
    await plain.close();
  });

  /** Fails a job on validation (its message names the broken rules) and returns the raw stored history. */
  async function failedJobHistory(converter: DataConverter) {
    const temporal = await connectTestClient(converter);
    try {
      const taskQueue = uniqueTaskQueue('failure-encoding');
      const jobId = `job-failure-${randomBytes(4).toString('hex')}`;
      const error = await withWorker(
        taskQueue,
        async () => {
          const handle = await temporal.client.workflow.start(activationJob, {
            taskQueue,
            workflowId: jobId,
            args: [
              {
                jobId,
                accountName: DEFAULT_ACCOUNT,
                activation: { servicePlan: 'x', mdnZipCode: '123' },
                devices: [{ deviceIds: [{ kind: 'IMEI', id: '12345678901234567' }] }],
              },
            ],
          });
          return failure<WorkflowFailedError>(handle.result());
        },
        // Validation is the job's first step and fails it: the only activity the job reaches.
        { dataConverter: converter, activities: { validateJobRequest } },
      );
      const raw = new Client({ connection: plain.connection, namespace: plain.namespace });
      const history = await raw.workflow.getHandle(jobId).fetchHistory();
      return { error, bytes: Buffer.from(api.api.history.v1.History.encode(history).finish()), history };
    } finally {
      await temporal.close();
    }
  }

  const RULE = 'mdnZipCode must be 5 decimal digits';

  it('are readable without keys (the control) and unreadable with them, yet decoded by key holders', async () => {
    const withoutKeys = await failedJobHistory({
      payloadCodecs: [new CompressionCodec()],
      failureConverterPath: FAILURE_CONVERTER_PATH,
    });
    expect(withoutKeys.bytes.includes(RULE)).toBe(true);

    const withKeys = await failedJobHistory({
      payloadCodecs: [new CompressionCodec(), codecWith('k1', [['k1', k1]])],
      failureConverterPath: FAILURE_CONVERTER_PATH,
    });
    expect(withKeys.bytes.includes(RULE)).toBe(false);
    expect(withKeys.bytes.includes('Invalid job request')).toBe(false);
    // What the server keeps in place of the message: the SDK's placeholder.
    const failed = withKeys.history.events?.find((e) => e.workflowExecutionFailedEventAttributes);
    expect(failed?.workflowExecutionFailedEventAttributes?.failure?.message).toBe('Encoded failure');
    expect(failed?.workflowExecutionFailedEventAttributes?.failure?.stackTrace ?? '').toBe('');
    // The client holding the key reads the message as before.
    const cause = withKeys.error.cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.message).toContain(RULE);
  });
});
