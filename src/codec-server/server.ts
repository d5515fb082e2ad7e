/**
 * A remote codec endpoint for the Temporal Web UI (`temporal server start-dev --ui-codec-endpoint`, or the UI's
 * "Codec Server" setting): it decodes payloads for people allowed to see them, who present the bearer token.
 * Implements the Web UI's protocol: POST /decode and /encode with `{payloads: [{metadata, data}]}`, base64 fields.
 * With External Storage, history holds references for big payloads: /decode fetches each from the blob store
 * first, then runs the codecs, exactly as a worker does; /encode stores what is over the threshold, as a client does.
 */
import cors from '@fastify/cors';
import { ValueError, type ExternalStorage, type Payload, type PayloadCodec } from '@temporalio/common';
import { ExternalStorageRunner } from '@temporalio/common/lib/internal-non-workflow/index.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { bearerCheck } from '../bearer-check.js';

const JsonPayloadSchema = z.object({
  metadata: z.record(z.string(), z.string()).optional(),
  data: z.string().optional(),
});
const BodySchema = z.object({ payloads: z.array(JsonPayloadSchema) });
type JsonPayload = z.infer<typeof JsonPayloadSchema>;

export interface CodecServerOptions {
  codecs: PayloadCodec[];
  /** The deployment's External Storage (the same store as the workers'); without it references stay references. */
  externalStorage?: ExternalStorage;
  /**
   * The bearer token callers must present: decoded payloads hold personal data. Undefined only for a local
   * development server bound to loopback, whose Web UI has no login to pass a token from (see main.ts).
   */
  authToken: string | undefined;
  /** Origins allowed to call from a browser, e.g. the Web UI's http://localhost:8233. */
  corsOrigins: string[];
  logger?: boolean;
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  ...(p.data !== undefined && { data: Buffer.from(p.data, 'base64') }),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  ...(p.data && { data: Buffer.from(p.data).toString('base64') }),
});

export async function createCodecServer(options: CodecServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false });
  await app.register(cors, {
    origin: options.corsOrigins,
    methods: ['POST'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Namespace'],
    credentials: true,
  });

  // Codec errors name key ids and sizes; callers learn only that the payloads did not decode (400: they sent data
  // no configured key opens, damaged or oversized data) or that something else failed (500). The log keeps the
  // reason for the operator.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof ValueError) {
      request.log.warn({ reason: error.message }, 'payloads could not be decoded');
      return reply.code(400).send({ error: 'the payloads could not be decoded or encoded' });
    }
    if (error.statusCode !== undefined && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: 'the request was refused' });
    }
    request.log.error({ reason: error.message }, 'codec server error');
    return reply.code(500).send({ error: 'internal error' });
  });

  if (options.authToken !== undefined) {
    const authorized = bearerCheck(options.authToken);
    app.addHook('onRequest', async (request, reply) => {
      if (request.method === 'OPTIONS') return;
      if (!authorized(request.headers.authorization)) {
        await reply.code(401).send({ error: 'a valid bearer token is required' });
      }
    });
  }

  const storage = options.externalStorage && new ExternalStorageRunner(options.externalStorage);
  const route = (path: '/encode' | '/decode') =>
    app.post(path, async (request, reply) => {
      const body = BodySchema.safeParse(request.body);
      if (!body.success) return reply.code(400).send({ error: 'body must be {payloads: [{metadata, data}]}' });
      let payloads = body.data.payloads.map(fromJson);
      if (path === '/decode' && storage) payloads = await storage.retrieve(payloads);
      const codecs = path === '/encode' ? options.codecs : [...options.codecs].reverse();
      for (const codec of codecs)
        payloads = await (path === '/encode' ? codec.encode(payloads) : codec.decode(payloads));
      if (path === '/encode' && storage) payloads = await storage.store(payloads);
      return { payloads: payloads.map(toJson) };
    });
  route('/encode');
  route('/decode');
  return app;
}
