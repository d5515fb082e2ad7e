/**
 * `createWebhook`: the fastify app with its checks, batcher and metrics wired together, and a `close()` that
 * stops taking callbacks, sends every batch still waiting and only then lets the process go.
 */
import type { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import { credentialCheck, failureLimiter } from './auth.js';
import { SignalBatcher } from './batcher.js';
import { callbackBodyParser } from './json.js';
import { windowLimiter } from './limiter.js';
import {
  DEFAULT_BATCH_SETTINGS,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  type BatchSettings,
  type WebhookSettings,
} from './config.js';
import { createMetrics, type WebhookMetrics } from './metrics.js';
import { registerCallbackRoutes, registerProbeRoutes, reject } from './routes.js';
import { watchWorkerQueue, type QueueWatch } from './queue-watch.js';
import { temporalSignalTarget, type SignalTarget } from './temporal-target.js';
import { DEFAULT_TASK_QUEUE } from '../task-queues.js';

export type WebhookOptions = {
  settings: Pick<WebhookSettings, 'credentials'> &
    Partial<Omit<WebhookSettings, 'credentials' | 'host' | 'port' | 'internalPort'>>;
  /**
   * Serve /healthz, /livez, /readyz and /metrics on `Webhook.internal`, a second app for a port the outside cannot
   * reach (WEBHOOK_INTERNAL_PORT), instead of next to the callbacks.
   */
  internalListener?: boolean;
  /** Process metrics (event loop, heap …) on /metrics; off in tests that start many webhooks. */
  defaultMetrics?: boolean;
  /** Where the JSON log lines go (stdout by default); tests read them. */
  logStream?: Writable;
  /** The batcher's clock (Date.now by default): tests move it past a deadline instead of waiting it out. */
  now?: () => number;
  /** The clock of the failed-credential limit (Date.now by default), apart so tests can move one alone. */
  authNow?: () => number;
} & (
  | { /** Must use the product's dataConverter. Not closed by the webhook: its owner closes it. */ client: Client }
  | { /** A stand-in for Temporal (tests of the HTTP layer). */ target: SignalTarget }
);

export interface Webhook {
  /** The callbacks, and the probes unless `internalListener` was set. */
  app: FastifyInstance;
  /** Probes and metrics when `internalListener` was set; closed after the callbacks' listener has drained. */
  internal: FastifyInstance | undefined;
  metrics: WebhookMetrics;
  batcher: SignalBatcher;
  /** Whether workers poll the inboxes' task queue; absent when the target is not Temporal. */
  queueWatch: QueueWatch | undefined;
  /** Idempotent; resolves when the listener is closed and every accepted callback has been answered. */
  close(): Promise<void>;
}

export async function createWebhook(options: WebhookOptions): Promise<Webhook> {
  const s = options.settings;
  const signalTimeoutMs = s.signalTimeoutMs ?? 5_000;
  const setting = <K extends keyof BatchSettings>(key: K) => s[key] ?? DEFAULT_BATCH_SETTINGS[key];
  const batch: BatchSettings = {
    batchWindowMs: setting('batchWindowMs'),
    batchMax: setting('batchMax'),
    batchMaxBytes: setting('batchMaxBytes'),
    batchQuietMs: setting('batchQuietMs'),
    batchQuietMin: setting('batchQuietMin'),
    notFoundRetryMs: setting('notFoundRetryMs'),
  };
  const target =
    'target' in options
      ? options.target
      : temporalSignalTarget(options.client, signalTimeoutMs, s.taskQueue ?? DEFAULT_TASK_QUEUE);

  const app = Fastify({
    logger: {
      level: s.logLevel ?? 'info',
      // Bodies are never logged; these keep credentials out should a request ever be serialised.
      redact: ['req.headers.authorization', 'req.headers.cookie', 'body', 'req.body'],
      ...(options.logStream && { stream: options.logStream }),
    },
    bodyLimit: s.bodyLimitBytes ?? 262_144,
    // One line per request at thousands a second costs more CPU than the rest of the handler; rejections and
    // notable events are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    // No per-request child logger: the few request-level lines carry their own fields, and one pino child per
    // callback is garbage the collector pays for at thousands a second.
    childLoggerFactory: (logger) => logger,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Behind the TLS proxy every request comes from the proxy; with N trusted hops request.ip is the address the
    // nearest proxy saw, so the per-client limits apply to clients rather than to the proxy. 0: the peer's address.
    // (What fastify does with a number, written as the function its types accept.)
    trustProxy: s.trustedProxyHops ? (_address: string, hop: number) => hop < (s.trustedProxyHops ?? 0) : false,
  });
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const batcher = new SignalBatcher(target, batch, metrics, app.log, options.now);
  let closing: Promise<void> | undefined;

  // In memory, per instance and per client IP: the webhook is stateless, so N instances behind a load balancer allow
  // N times the limit, and without a trusted proxy header every caller behind that balancer shares one IP. Our own
  // fixed window rather than @fastify/rate-limit: the same 429 and Retry-After for a map lookup per request, where
  // the plugin's async hook, store callback and headers cost about 4 µs and 1.6 KB of garbage per callback
  // (bench/webhook/hot-path.ts --alloc), on every callback, for a limit ThingSpace never reaches.
  const requests = windowLimiter({ max: s.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE });
  app.addHook('onRequest', (request, reply, done) => {
    const retryAfter = requests.hit(request.ip);
    if (retryAfter === undefined) return done();
    void reply.header('retry-after', String(retryAfter));
    // Shaped by the error handler below like every other refusal.
    done(
      Object.assign(new Error(`more than ${requests.max} requests a minute; retry in ${retryAfter} s`), {
        statusCode: 429,
        code: 'WEBHOOK_RATE_LIMITED',
      }),
    );
  });

  // ThingSpace's content type is not documented: every body is read as JSON, whatever its label.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, callbackBodyParser(app));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reject({ metrics }, reply, 413, 'too_large', `the body exceeds ${app.initialConfig.bodyLimit} bytes`);
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        // fastify's message never quotes the body, which may hold the echoed password.
        return reject({ metrics }, reply, 400, 'malformed_json', 'the body is not valid JSON');
      case 'WEBHOOK_RATE_LIMITED':
        return reject({ metrics }, reply, 429, 'rate_limited', error.message);
    }
    if (error.statusCode !== undefined && error.statusCode < 500) {
      return reject({ metrics }, reply, error.statusCode, 'invalid_body', error.message);
    }
    request.log.error({ err: error.message, code: error.code }, 'unexpected error');
    return reply.code(500).send({ error: 'internal', detail: 'unexpected error' });
  });

  const isClosing = () => closing !== undefined;
  registerCallbackRoutes(app, {
    check: credentialCheck(s.credentials),
    failures: failureLimiter({ max: s.authFailuresPerMinute ?? 10, ...(options.authNow && { now: options.authNow }) }),
    batcher,
    target,
    metrics,
    isClosing,
  });
  const internal = options.internalListener
    ? Fastify({ loggerInstance: app.log, logController: new LogController({ disableRequestLogging: true }) })
    : undefined;
  registerProbeRoutes(internal ?? app, { target, metrics, isClosing });
  await app.ready();
  await internal?.ready();
  const pollers = target.workerPollers?.bind(target);
  const queueWatch =
    pollers && 'client' in options
      ? watchWorkerQueue({
          pollers,
          taskQueue: s.taskQueue ?? DEFAULT_TASK_QUEUE,
          namespace: options.client.options.namespace,
          gauge: metrics.workerPollers,
          log: app.log,
        })
      : undefined;

  return {
    app,
    internal,
    metrics,
    batcher,
    queueWatch,
    close: () =>
      (closing ??= (async () => {
        queueWatch?.stop();
        const listenerClosed = app.close();
        await batcher.close();
        app.server.closeIdleConnections();
        await listenerClosed;
        // Last: liveness stays answerable while batches drain, readiness already says 503.
        await internal?.close();
      })()),
  };
}
