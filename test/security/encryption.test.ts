import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type DataConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { createCodecServer } from '../../src/codec-server/server.js';
import { EncryptionCodec } from '../../src/temporal/encryption-codec.js';
import { CompressionCodec } from '../../src/temporal/compression-codec.js';
import { activationJob } from '../../src/workflows/job.js';
import { ACTIVATION, DEFAULT_ACCOUNT, jobDevice, seedDevice, startActivationFixture } from '../harness/activation.js';
import { connectTestClient, uniqueTaskQueue, withActivationWorkers, type TestTemporal } from '../harness/temporal.js';

const { temporal: api } = proto;
const k1 = randomBytes(32);
const k2 = randomBytes(32);
const codecWith = (activeKeyId: string, keys: [string, Uint8Array][]) =>
  new EncryptionCodec({ activeKeyId, keys: new Map(keys) });

describe('EncryptionCodec', () => {
  const secret = defaultPayloadConverter.toPayload({ lastName: 'Beeblebrox' });

  it('seals payloads so their content is not readable, and opens them again', async () => {
    const codec = codecWith('k1', [['k1', k1]]);
    const [sealed] = await codec.encode([secret]);
    expect(Buffer.from(sealed!.data!).includes('Beeblebrox')).toBe(false);
    expect(await codec.decode([sealed!])).toEqual([
      api.api.common.v1.Payload.decode(api.api.common.v1.Payload.encode(secret).finish()),
    ]);
  });

  it('rotates keys: payloads sealed with an old key still open, new ones use the new key', async () => {
    const [old] = await codecWith('k1', [['k1', k1]]).encode([secret]);
    const rotated = codecWith('k2', [
      ['k1', k1],
      ['k2', k2],
    ]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toEqual({ lastName: 'Beeblebrox' });
    const [fresh] = await rotated.encode([secret]);
    await expect(codecWith('k1', [['k1', k1]]).decode([fresh!])).rejects.toThrow(
      'payload was encrypted with key "k2", which is not configured',
    );
  });

  it('refuses keys of the wrong size and an active key that is not configured', () => {
    expect(() => codecWith('k1', [['k1', randomBytes(16)]])).toThrow(
      'encryption key "k1" must be 32 bytes (AES-256), got 16',
    );
    expect(() => codecWith('k9', [['k1', k1]])).toThrow('encryption key "k9" is not among the configured keys');
  });
});

describe('place-of-use data in stored history', () => {
  let plain: TestTemporal;
  beforeAll(async () => {
    plain = await connectTestClient();
  });
  afterAll(async () => {
    await plain.close();
  });

  /** Runs a one-device job with a primary place of use and returns its raw stored history bytes. */
  async function storedHistory(converter: DataConverter | undefined): Promise<Buffer> {
    const fixture = await startActivationFixture([seedDevice(900)]);
    const temporal = converter ? await connectTestClient(converter) : plain;
    try {
      const taskQueue = uniqueTaskQueue('pii');
      const jobId = `job-pii-${converter ? 'encrypted' : 'plain'}-${Date.now()}`;
      await withActivationWorkers(
        taskQueue,
        fixture.thingspace,
        async () => {
          const handle = await temporal.client.workflow.start(activationJob, {
            taskQueue,
            workflowId: jobId,
            args: [
              {
                jobId,
                accountName: DEFAULT_ACCOUNT,
                activation: {
                  ...ACTIVATION,
                  primaryPlaceOfUse: {
                    customerName: { firstName: 'Zaphod', lastName: 'Beeblebrox' },
                    address: {
                      addressLine1: '1600 Pennsylvania Ave NW',
                      city: 'Washington',
                      state: 'DC',
                      zip: '20500',
                      country: 'USA',
                    },
                  },
                },
                devices: [jobDevice(seedDevice(900))],
                options: { callbackTimeout: '1 second', pollInterval: '500 milliseconds', pollDeadline: '20 seconds' },
              },
            ],
          });
          await handle.result();
        },
        converter ? { dataConverter: converter } : {},
      );
      // Read with a client that has no codec: what Temporal stores and shows to anyone without the key.
      const raw = new Client({ connection: plain.connection, namespace: plain.namespace });
      const history = await raw.workflow.getHandle(jobId).fetchHistory();
      return Buffer.from(api.api.history.v1.History.encode(history).finish());
    } finally {
      if (temporal !== plain) await temporal.close();
      await fixture.close();
    }
  }

  it('is readable without encryption (the control) and unreadable with it', async () => {
    expect((await storedHistory(undefined)).includes('Beeblebrox')).toBe(true);
    const encrypted = { payloadCodecs: [new CompressionCodec(), codecWith('k1', [['k1', k1]])] };
    const history = await storedHistory(encrypted);
    expect(history.includes('Beeblebrox')).toBe(false);
    expect(history.includes('Pennsylvania')).toBe(false);
  });
});

describe('codec server for the Web UI', () => {
  it('decodes for holders of the token only, and answers the browser preflight', async () => {
    const codec = codecWith('k1', [['k1', k1]]);
    const app = await createCodecServer({
      codecs: [new CompressionCodec(), codec],
      authToken: 'ui-token',
      corsOrigins: ['http://localhost:8233'],
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const post = (path: string, payload: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        body: JSON.stringify(payload),
        headers: { 'content-type': 'application/json', ...headers },
      });
    try {
      const [sealed] = await codec.encode([defaultPayloadConverter.toPayload({ lastName: 'Beeblebrox' })]);
      const body = {
        payloads: [
          {
            metadata: Object.fromEntries(
              Object.entries(sealed!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
            ),
            data: Buffer.from(sealed!.data!).toString('base64'),
          },
        ],
      };
      expect((await post('/decode', body)).status).toBe(401);
      expect((await post('/decode', body, { authorization: 'Bearer wrong' })).status).toBe(401);

      const decoded = await post('/decode', body, { authorization: 'Bearer ui-token' });
      expect(decoded.status).toBe(200);
      const [payload] = ((await decoded.json()) as { payloads: { data: string }[] }).payloads;
      expect(JSON.parse(Buffer.from(payload!.data, 'base64').toString())).toEqual({ lastName: 'Beeblebrox' });

      const preflight = await fetch(`${base}/decode`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');

      expect((await post('/decode', { nope: 1 }, { authorization: 'Bearer ui-token' })).status).toBe(400);
    } finally {
      await app.close();
    }
  });
});
