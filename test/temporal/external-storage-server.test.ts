/**
 * External Storage on the real dev server: big inputs and results travel as references (read from the raw history,
 * as Temporal stores it), workflows see the whole value, the stored objects are encrypted when encryption is on, and
 * the codec server turns a reference back into the value for the Web UI.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload } from '@temporalio/common';
import {
  decodeFromPayloadsAtIndex,
  decodeOptionalFailureToOptionalError,
} from '@temporalio/common/lib/internal-non-workflow/index.js';
import proto from '@temporalio/proto';
import pg from 'pg';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createCodecServer } from '../../src/codec-server/server.js';
import { activationJob } from '../../src/workflows/job.js';
import { ENCRYPTED_ENCODING } from '../../src/temporal/encryption-codec.js';
import { dataConverterFromEnv } from '../../src/temporal/data-converter.js';
import { payloadsIn } from '../../src/temporal/history-payloads.js';
import {
  BLOB_STORE_DRIVER_NAME,
  type BlobStoreDriver,
  DEFAULT_EXTERNAL_STORAGE_THRESHOLD_BYTES,
  retrieveStoredPayloads,
} from '../../src/temporal/external-storage.js';
import { DEFAULT_BLOB_TABLE } from '../../src/storage/postgres-blob-store.js';
import { startTestPostgres } from '../storage/postgres.js';
import { jobRequest, seedDevice, startActivationFixture } from '../harness/activation.js';
import { uniqueTaskQueue, withActivationWorkers } from '../harness/temporal.js';
import { nextEvent } from '../harness/history-wait.js';
import { useTestTemporal } from '../harness/test-temporal.js';
import type { echoBytes } from './echo-workflow.js';

const temporal = useTestTemporal();
const { temporal: api } = proto;
const PayloadProto = api.api.common.v1.Payload;
const REFERENCE_TYPE = 'temporal.api.sdk.v1.ExternalStorageReference';
const ECHO_WORKFLOWS = fileURLToPath(new URL('./echo-workflow.ts', import.meta.url));
const CODEC_TOKEN = 'extstore-test-token';

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString();
const sizeOf = (payload: Payload) => PayloadProto.encode(payload).finish().length;
const isReference = (payload: Payload) =>
  text(payload.metadata?.[METADATA_ENCODING_KEY]) === 'json/protobuf' &&
  text(payload.metadata?.messageType) === REFERENCE_TYPE;

/** The history exactly as Temporal stores it: through the gRPC service, no data converter, no External Storage. */
async function rawHistory(workflowId: string) {
  const events: proto.temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await temporal.connection.workflowService.getWorkflowExecutionHistory({
      namespace: temporal.namespace,
      execution: { workflowId },
      ...(nextPageToken && { nextPageToken }),
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}

const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

/** What the Web UI gets for `payload` from a codec server configured like the workers. */
async function decodeThroughCodecServer(converter: DataConverter, payload: Payload): Promise<Payload> {
  const app = await createCodecServer({
    codecs: converter.payloadCodecs ?? [],
    ...(converter.externalStorage && { externalStorage: converter.externalStorage }),
    authToken: CODEC_TOKEN,
    corsOrigins: ['http://localhost:8233'],
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const response = await fetch(`${base}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CODEC_TOKEN}` },
      body: JSON.stringify({ payloads: [toJson(payload)] }),
    });
    expect(response.status).toBe(200);
    const [decoded] = ((await response.json()) as { payloads: { metadata: Record<string, string>; data: string }[] })
      .payloads;
    return {
      metadata: Object.fromEntries(Object.entries(decoded!.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(decoded!.data, 'base64'),
    };
  } finally {
    await app.close();
  }
}

async function storedPayloads(dir: string): Promise<{ bytes: Buffer; payload: Payload }[]> {
  const names = await readdir(join(dir, 'payloads'));
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(join(dir, 'payloads', name));
      return { bytes, payload: PayloadProto.decode(bytes) };
    }),
  );
}

/** The sizes of the objects in the PostgreSQL store's table. */
async function storedRows(url: string): Promise<number[]> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const result = await db.query<{ size: number }>(
      `SELECT length(data) AS size FROM ${DEFAULT_BLOB_TABLE} WHERE key LIKE 'payloads/%' ORDER BY size`,
    );
    return result.rows.map((row) => row.size);
  } finally {
    await db.end();
  }
}

const closeStore = (converter: DataConverter) =>
  (converter.externalStorage!.getDriver(BLOB_STORE_DRIVER_NAME) as BlobStoreDriver).blobs.close();

const encryptionEnv = () => ({
  PAYLOAD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  PAYLOAD_ENCRYPTION_KEY_ID: 'k1',
});

describe('External Storage on the dev server', () => {
  it('runs a workflow whose 3 MB incompressible input and result Temporal alone refuses, encrypted in the store', async () => {
    const store = await mkdtemp(join(tmpdir(), 'extstore-echo-'));
    const converter = dataConverterFromEnv({ ...encryptionEnv(), BLOB_STORE_URL: store });
    const marker = Buffer.from('Beeblebrox-was-here');
    const input = Buffer.concat([marker, randomBytes(3 * 1024 * 1024)]);
    const taskQueue = uniqueTaskQueue('extstore');

    // The control: the same codecs without External Storage, and Temporal refuses the start.
    const withoutStorage = new Client({
      connection: temporal.connection,
      namespace: temporal.namespace,
      dataConverter: { payloadCodecs: converter.payloadCodecs, failureConverterPath: converter.failureConverterPath },
    });
    await expect(
      withoutStorage.workflow.start<typeof echoBytes>('echoBytes', {
        taskQueue,
        workflowId: `extstore-refused-${Date.now()}`,
        args: [input],
      }),
    ).rejects.toMatchObject({ cause: { details: 'Blob data size exceeds limit.' } });

    const client = new Client({
      connection: temporal.connection,
      namespace: temporal.namespace,
      dataConverter: converter,
    });
    const workflowId = `extstore-echo-${Date.now()}`;
    const connection = await NativeConnection.connect({ address: temporal.address });
    let output: Uint8Array;
    try {
      const worker = await Worker.create({
        connection,
        namespace: temporal.namespace,
        taskQueue,
        workflowsPath: ECHO_WORKFLOWS,
        dataConverter: converter,
      });
      output = await worker.runUntil(
        client.workflow.execute<typeof echoBytes>('echoBytes', { taskQueue, workflowId, args: [input] }),
      );
    } finally {
      await connection.close();
    }
    expect(Buffer.from(output).equals(input)).toBe(true);

    const events = await rawHistory(workflowId);
    const started = events.find((e) => e.workflowExecutionStartedEventAttributes);
    const completed = events.find((e) => e.workflowExecutionCompletedEventAttributes);
    const [inputRef] = started!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    const [resultRef] = completed!.workflowExecutionCompletedEventAttributes!.result!.payloads!;
    for (const ref of [inputRef!, resultRef!]) {
      expect(isReference(ref)).toBe(true);
      expect(sizeOf(ref)).toBeLessThan(1_024);
    }
    const all = payloadsIn(events);
    expect(Math.max(...all.map(sizeOf))).toBeLessThan(1_024);
    expect(Buffer.from(api.api.history.v1.History.encode({ events }).finish()).includes(marker)).toBe(false);

    // What the store holds is what Temporal would have held: encrypted (the same bytes come back as the result).
    const stored = await storedPayloads(store);
    expect(stored.length).toBeGreaterThanOrEqual(1);
    for (const { bytes, payload } of stored) {
      expect(text(payload.metadata?.[METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
      expect(bytes.includes(marker)).toBe(false);
      expect(bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    }

    const decoded = await decodeThroughCodecServer(converter, inputRef!);
    console.log(
      `echo input ${input.length} bytes; references ${sizeOf(inputRef!)} and ${sizeOf(resultRef!)} bytes; ` +
        `stored ${stored.map((s) => s.bytes.length).join(', ')} bytes`,
    );
    expect(text(decoded.metadata?.[METADATA_ENCODING_KEY])).toBe('binary/plain');
    expect(Buffer.from(decoded.data!).equals(input)).toBe(true);
  }, 180_000);

  it('stores the payload as it is when encryption is off (the control for the check above)', async () => {
    const store = await mkdtemp(join(tmpdir(), 'extstore-plain-'));
    const converter = dataConverterFromEnv({ BLOB_STORE_URL: store });
    const marker = Buffer.from('Beeblebrox-was-here');
    const client = new Client({
      connection: temporal.connection,
      namespace: temporal.namespace,
      dataConverter: converter,
    });
    // No worker: the start alone writes the input to the store.
    const handle = await client.workflow.start<typeof echoBytes>('echoBytes', {
      taskQueue: uniqueTaskQueue('extstore-none'),
      workflowId: `extstore-plain-${Date.now()}`,
      args: [Buffer.concat([marker, randomBytes(DEFAULT_EXTERNAL_STORAGE_THRESHOLD_BYTES)])],
    });
    try {
      const stored = await storedPayloads(store);
      expect(stored).toHaveLength(1);
      expect(text(stored[0]!.payload.metadata?.[METADATA_ENCODING_KEY])).toBe('binary/plain');
      expect(stored[0]!.bytes.includes(marker)).toBe(true);
    } finally {
      await handle.terminate('test done');
    }
  });

  it('fails the workflow task, naming BLOB_STORE_URL, on a worker whose store lacks the object; goes on once it is there', async () => {
    const root = await mkdtemp(join(tmpdir(), 'extstore-split-'));
    const clientConverter = dataConverterFromEnv({ BLOB_STORE_URL: join(root, 'client') });
    const workerConverter = dataConverterFromEnv({ BLOB_STORE_URL: join(root, 'worker') });
    const client = new Client({
      connection: temporal.connection,
      namespace: temporal.namespace,
      dataConverter: clientConverter,
    });
    const taskQueue = uniqueTaskQueue('extstore-split');
    const input = randomBytes(DEFAULT_EXTERNAL_STORAGE_THRESHOLD_BYTES);
    const handle = await client.workflow.start<typeof echoBytes>('echoBytes', {
      taskQueue,
      workflowId: `extstore-split-${Date.now()}`,
      args: [input],
    });
    const connection = await NativeConnection.connect({ address: temporal.address });
    try {
      const worker = await Worker.create({
        connection,
        namespace: temporal.namespace,
        taskQueue,
        workflowsPath: ECHO_WORKFLOWS,
        dataConverter: workerConverter,
      });
      const output = await worker.runUntil(async () => {
        const failed = await nextEvent(temporal, handle.workflowId, (e) => !!e.workflowTaskFailedEventAttributes);
        // Failure messages are encoded (src/temporal/failure-converter.cjs): decode as the Web UI's codec would.
        const reason = await decodeOptionalFailureToOptionalError(
          client.options.loadedDataConverter,
          failed.workflowTaskFailedEventAttributes!.failure,
        );
        expect(reason?.message).toContain(
          'every client, worker, webhook and codec server must use the same BLOB_STORE_URL',
        );
        await cp(join(root, 'client'), join(root, 'worker'), { recursive: true });
        return handle.result();
      });
      expect(Buffer.from(output).equals(input)).toBe(true);
    } finally {
      await connection.close();
    }
  }, 120_000);

  it('carries a job’s 3,000-device list by reference in PostgreSQL; all 3,000 are activated; the codec server shows the list', async () => {
    const postgres = await startTestPostgres();
    // Starter, workers and codec server each open the store, as separate processes on separate hosts would. Gzipped,
    // the 3,000-device input is about 40 KB: a lower threshold sends it to the store all the same.
    const threshold = 16 * 1024;
    const env = { BLOB_STORE_URL: postgres.url, EXTERNAL_STORAGE_THRESHOLD_BYTES: String(threshold) };
    const converter = dataConverterFromEnv(env);
    const workerConverter = dataConverterFromEnv(env);
    const codecConverter = dataConverterFromEnv(env);
    const devices = Array.from({ length: 3_000 }, (_, i) => seedDevice(60_000 + i));
    const fixture = await startActivationFixture(devices, { listPageSize: 1_000 });
    const jobId = `extstore-job-${Date.now()}`;
    const request = jobRequest(jobId, devices, {
      callbackTimeout: '1 second',
      pollInterval: '500 milliseconds',
      pollDeadline: '30 seconds',
    });
    const inputBytes = Buffer.byteLength(JSON.stringify(request));
    expect(inputBytes).toBeGreaterThan(DEFAULT_EXTERNAL_STORAGE_THRESHOLD_BYTES);
    expect(gzipSync(JSON.stringify(request)).length).toBeGreaterThan(threshold);
    try {
      const client = new Client({
        connection: temporal.connection,
        namespace: temporal.namespace,
        dataConverter: converter,
      });
      const taskQueue = uniqueTaskQueue('extstore-job');
      const result = await withActivationWorkers(
        taskQueue,
        fixture.thingspace,
        async () => {
          const handle = await client.workflow.start(activationJob, { taskQueue, workflowId: jobId, args: [request] });
          return handle.result();
        },
        { dataConverter: workerConverter },
      );
      expect(result.counts).toMatchObject({ total: 3_000, activated: 3_000 });
      expect(fixture.sim.admin.submissions().totalSubmissions).toBe(3_000);

      const events = await rawHistory(jobId);
      const [inputRef] = events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
      expect(isReference(inputRef!)).toBe(true);
      expect(sizeOf(inputRef!)).toBeLessThan(1_024);
      // Nothing at or above the threshold reached Temporal, in the job or in its requests.
      for (const id of [jobId, ...result.requests.map((r) => r.workflowId)]) {
        const sizes = payloadsIn(await rawHistory(id)).map(sizeOf);
        expect(Math.max(...sizes)).toBeLessThan(threshold);
      }
      const stored = await storedRows(postgres.url);
      expect(stored.length).toBeGreaterThanOrEqual(1);

      const decoded = await decodeThroughCodecServer(codecConverter, inputRef!);
      expect(JSON.parse(text(decoded.data))).toEqual(request);

      // fetchHistory() leaves references as they are, even on a client with External Storage: decoding a history
      // payload by hand fails on one (src/client.ts's request() does that) unless retrieveStoredPayloads runs first.
      const fetched = await client.workflow.getHandle(jobId).fetchHistory();
      const fetchedInput = fetched.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
      expect(isReference(fetchedInput[0]!)).toBe(true);
      await expect(decodeFromPayloadsAtIndex(client.options.loadedDataConverter, 0, fetchedInput)).rejects.toThrow(
        'Unknown encoding: json/protobuf',
      );
      const resolved = await retrieveStoredPayloads(converter, fetchedInput);
      expect(await decodeFromPayloadsAtIndex(client.options.loadedDataConverter, 0, resolved)).toEqual(request);
      console.log(
        `job input ${inputBytes} bytes of JSON; history reference ${sizeOf(inputRef!)} bytes; ` +
          `${stored.length} payload(s) in PostgreSQL, ${stored.join(', ')} bytes`,
      );
    } finally {
      await fixture.close();
      await Promise.all([converter, workerConverter, codecConverter].map(closeStore));
      await postgres.close();
    }
  }, 240_000);
});
