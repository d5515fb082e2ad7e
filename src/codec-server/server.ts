/**
 * A remote codec endpoint for the Temporal Web UI (`temporal server start-dev --ui-codec-endpoint`, or the UI's
 * "Codec Server" setting): it decodes payloads for people allowed to see them, who present the bearer token.
 * Implements the Web UI's protocol: POST /decode and /encode with `{payloads: [{metadata, data}]}`, base64 fields.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import cors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';

const JsonPayloadSchema = z.object({
  metadata: z.record(z.string(), z.string()).optional(),
  data: z.string().optional(),
});
const BodySchema = z.object({ payloads: z.array(JsonPayloadSchema) });
type JsonPayload = z.infer<typeof JsonPayloadSchema>;

export interface CodecServerOptions {
  codecs: PayloadCodec[];
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

const digest = (text: string) => createHash('sha256').update(text).digest();

export async function createCodecServer(options: CodecServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false });
  await app.register(cors, {
    origin: options.corsOrigins,
    methods: ['POST'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Namespace'],
    credentials: true,
  });
  if (options.authToken !== undefined) {
    const expected = digest(`Bearer ${options.authToken}`);
    app.addHook('onRequest', async (request, reply) => {
      if (request.method === 'OPTIONS') return;
      if (!timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
        await reply.code(401).send({ error: 'a valid bearer token is required' });
      }
    });
  }

  const route = (path: '/encode' | '/decode') =>
    app.post(path, async (request, reply) => {
      const body = BodySchema.safeParse(request.body);
      if (!body.success) return reply.code(400).send({ error: 'body must be {payloads: [{metadata, data}]}' });
      let payloads = body.data.payloads.map(fromJson);
      const codecs = path === '/encode' ? options.codecs : [...options.codecs].reverse();
      for (const codec of codecs)
        payloads = await (path === '/encode' ? codec.encode(payloads) : codec.decode(payloads));
      return { payloads: payloads.map(toJson) };
    });
  route('/encode');
  route('/decode');
  return app;
}
