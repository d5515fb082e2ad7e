/**
 * HTTP surface: the callback endpoints, health, readiness and metrics. A callback is answered 2xx only once the
 * signal carrying it was accepted (by its request workflow, or by an inbox); every other outcome is an error status,
 * and the 5xx ones make ThingSpace send the callback again.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  CarrierServiceCallbackSchema,
  NiddServiceCallbackSchema,
  callbackOutcome,
  safeParseCallback,
  type Callback,
} from '../thingspace/schemas/callbacks.js';
import { formatZodError } from '../thingspace/schemas/format.js';
import type { CredentialCheck, FailureLimiter } from './auth.js';
import { ANY_SERVICE_PATH, SERVICE_PATHS } from './paths.js';
import { DeliveryError, type SignalBatcher } from './batcher.js';
import type { RejectReason, WebhookMetrics } from './metrics.js';
import type { SignalTarget } from './temporal-target.js';
import { toCallbackRecord } from './to-record.js';

type ParseResult = { success: true; data: Callback } | { success: false; error: z.ZodError };

/**
 * One path per service, as ThingSpace registers one URL per service; `/callbacks` tells them apart by body (a
 * NiddService body has `niddResponse`) for deployments that register the same URL for both.
 */
export const CALLBACK_ROUTES: Record<string, (input: unknown) => ParseResult> = {
  [SERVICE_PATHS.CarrierService]: (input) => {
    const r = CarrierServiceCallbackSchema.safeParse(input);
    return r.success ? { success: true, data: { service: 'CarrierService', body: r.data } } : r;
  },
  [SERVICE_PATHS.NiddService]: (input) => {
    const r = NiddServiceCallbackSchema.safeParse(input);
    return r.success ? { success: true, data: { service: 'NiddService', body: r.data } } : r;
  },
  [ANY_SERVICE_PATH]: safeParseCallback,
};

/**
 * ThingSpace's requestIds are UUIDs. The id becomes part of a workflow ID (`thingspace-request-<requestId>`) and of
 * log lines, so anything else is refused before it gets there: no control characters or newlines to forge log
 * lines, no unbounded length (Temporal caps workflow IDs at 1,000 bytes; a batcher lane per id is memory).
 */
export const REQUEST_ID_MAX_LENGTH = 128;
const REQUEST_ID_RULE = `must be 1 to ${REQUEST_ID_MAX_LENGTH} characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'`;
export const RequestIdSchema = z
  .string()
  .max(REQUEST_ID_MAX_LENGTH, { error: REQUEST_ID_RULE })
  .regex(/^[A-Za-z0-9._:-]+$/, { error: REQUEST_ID_RULE });

/** ThingSpace waits between resends anyway; the hint is for other clients and people reading responses. */
const RETRY_AFTER_SECONDS = '5';

export interface RouteDeps {
  check: CredentialCheck;
  failures: FailureLimiter;
  batcher: SignalBatcher;
  target: SignalTarget;
  metrics: WebhookMetrics;
  isClosing(): boolean;
}

export function reject(
  deps: Pick<RouteDeps, 'metrics'>,
  reply: FastifyReply,
  status: number,
  reason: RejectReason,
  detail: string,
) {
  deps.metrics.rejected.inc({ reason });
  if (status === 503) void reply.header('retry-after', RETRY_AFTER_SECONDS);
  return reply.code(status).send({ error: reason, detail });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `acknowledged` with its labels bound once per (service, outcome): prom-client hashes a label object on every
 * `inc(labels)`, which at thousands of callbacks a second is work (and garbage) for nothing.
 */
function acknowledgedCounter(metrics: WebhookMetrics) {
  const bound = new Map<string, Map<string, { inc(): void }>>();
  return (service: string, outcome: string) => {
    let byOutcome = bound.get(service);
    if (!byOutcome) bound.set(service, (byOutcome = new Map()));
    let counter = byOutcome.get(outcome);
    if (!counter) byOutcome.set(outcome, (counter = metrics.acknowledged.labels({ service, outcome })));
    counter.inc();
  };
}

type CallbackDeps = RouteDeps & { acknowledge: ReturnType<typeof acknowledgedCounter> };

function handleCallback(
  deps: CallbackDeps,
  parse: (input: unknown) => ParseResult,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const { body } = request;
  if (!isObject(body)) return reject(deps, reply, 400, 'invalid_body', '(root): must be a JSON object');
  // Before the check: a client over its failure limit learns nothing more about the password.
  const retryAfter = deps.failures.retryAfterSeconds(request.ip);
  if (retryAfter !== undefined) {
    void reply.header('retry-after', String(retryAfter));
    return reject(
      deps,
      reply,
      429,
      'auth_rate_limited',
      `more than ${deps.failures.max} failed credential checks a minute from this address; retry in ${retryAfter} s`,
    );
  }
  if (!deps.check(body.username, body.password)) {
    deps.failures.recordFailure(request.ip);
    request.log.warn({ ip: request.ip }, 'callback rejected: username/password do not match');
    return reject(deps, reply, 401, 'unauthorized', 'username/password do not match the registered listener');
  }
  const parsed = parse(body);
  if (!parsed.success) {
    const detail = formatZodError(parsed.error);
    request.log.info({ detail }, 'callback rejected: invalid body');
    return reject(deps, reply, 400, 'invalid_body', detail);
  }
  const callback = parsed.data;
  const { service, body: payload } = callback;
  const requestId = RequestIdSchema.safeParse(payload.requestId);
  if (!requestId.success) {
    // The message is the rule, never the value.
    request.log.info({ detail: `requestId: ${REQUEST_ID_RULE}` }, 'callback rejected: invalid requestId');
    return reject(deps, reply, 400, 'invalid_body', `requestId: ${REQUEST_ID_RULE}`);
  }
  if (callbackOutcome(payload.status) === 'pending') {
    // A Pending status is not an outcome: recording it would settle the device too early; the final one follows.
    deps.acknowledge(service, 'interim');
    return reply.code(200).send({ result: 'interim' });
  }
  const record = toCallbackRecord(callback);
  if (!record) return reject(deps, reply, 400, 'invalid_body', 'deviceIds: must hold a non-empty kind and id');
  // The body's size bounds the record's share of the payload without serialising the record once more.
  const bytes = Number(request.headers['content-length']) || JSON.stringify(record).length;
  // Only the record waits for the signal. A callback waits tens of milliseconds with hundreds of others, long
  // enough to live through a young-generation collection: the parsed body and its validated copy (about 4 KB) would
  // be copied, and some promoted, for nothing. Hence no reference to them from here on: not from fastify's request,
  // nor from a suspended async frame (this function is not async).
  request.body = undefined;
  return deps.batcher.submit(payload.requestId, record, bytes).then(
    (delivery) => {
      deps.acknowledge(service, delivery);
      // Keep-alive sockets would hold a draining instance open for fastify's 72 s keep-alive timeout; closing each
      // after its answer lets ThingSpace reconnect to another instance.
      if (deps.isClosing()) void reply.header('connection', 'close');
      return reply.code(200).send({ result: delivery });
    },
    (err: unknown) => {
      if (err instanceof DeliveryError) return reject(deps, reply, 503, err.reason, err.message);
      throw err;
    },
  );
}

/** The callback endpoints: what ThingSpace (through the TLS proxy) reaches. */
export function registerCallbackRoutes(app: FastifyInstance, routeDeps: RouteDeps): void {
  const deps: CallbackDeps = { ...routeDeps, acknowledge: acknowledgedCounter(routeDeps.metrics) };
  for (const [path, parse] of Object.entries(CALLBACK_ROUTES)) {
    const received = deps.metrics.received.labels({ route: path });
    app.post(path, {
      // Counted on arrival so that bodies refused before the handler (too large, not JSON) are counted too.
      onRequest: (_request, _reply, done) => {
        received.inc();
        done();
      },
      handler: (request, reply) => handleCallback(deps, parse, request, reply),
    });
  }
}

/**
 * Probes and metrics, for the orchestrator and Prometheus only: on their own listener when WEBHOOK_INTERNAL_PORT is
 * set. Liveness (/healthz, also /livez) answers while the process runs, draining included, so nothing restarts an
 * instance that is flushing; readiness (/readyz) turns 503 when Temporal is unreachable or shutdown began, so no
 * new callbacks are routed to it.
 */
export function registerProbeRoutes(app: FastifyInstance, deps: Pick<RouteDeps, 'target' | 'metrics' | 'isClosing'>) {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/livez', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    if (deps.isClosing()) return reply.code(503).send({ status: 'shutting down' });
    try {
      await deps.target.ready();
      return { status: 'ready' };
    } catch (err) {
      request.log.warn({ err: (err as Error).message }, 'not ready: Temporal unreachable');
      return reply.code(503).send({ status: 'temporal unreachable' });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
}
