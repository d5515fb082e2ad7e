import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import type { SimCore } from './core.js';
import { ApiError, ErrorCodes, m2mError, tooManyRequests } from './errors.js';
import type { RouteName } from './faults.js';
import { activateRoutes } from './routes/activate.js';
import { authRoutes } from './routes/auth.js';
import { callbackRoutes } from './routes/callbacks.js';
import { deviceRoutes } from './routes/devices.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    route?: RouteName;
  }
}

/** Secrets that must never reach a log line, wherever a serializer might put them. */
const REDACT = [
  'req.headers.authorization',
  'req.headers["vz-m2m-token"]',
  '*.password',
  '*.sessionToken',
  '*.access_token',
  'password',
];

export function createApp(logLevel: string): FastifyInstance {
  const app = Fastify({
    logger: { level: logLevel, redact: REDACT },
    logController: new LogController({ disableRequestLogging: logLevel !== 'debug' }),
    // 10,000 devices with place of use and IP addresses exceed Fastify's 1 MB default.
    bodyLimit: 32 * 1024 * 1024,
    forceCloseConnections: true,
  });

  // ThingSpace clients send `Content-Type: application/json` on bodiless calls such as logout.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(m2mError(ErrorCodes.malformedBody, 'The request body is not valid JSON.'), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) {
      return reply.code(error.statusCode).headers(error.headers).send(error.body);
    }
    if (error.statusCode !== undefined && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ errorCode: ErrorCodes.malformedBody, errorMessage: error.message });
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send({ errorCode: ErrorCodes.internal, errorMessage: 'An unexpected error occurred.' });
  });
  return app;
}

/** The ThingSpace wire format under /api, with latency and refusals injected before any route runs. */
export function apiRoutes(core: SimCore) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('onRequest', async (request) => {
      const route = request.routeOptions.config.route;
      const { latencyMs } = core.ctx.config.faults;
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      if (route === undefined) return;
      const decision = core.faults.refusal(route);
      if (decision.kind === '5xx') {
        throw new ApiError(decision.status, { errorCode: ErrorCodes.internal, errorMessage: 'Service unavailable.' });
      }
      if (decision.kind === '429') throw tooManyRequests(decision.retryAfter);
    });
    authRoutes(app, core);
    deviceRoutes(app, core);
    activateRoutes(app, core);
    callbackRoutes(app, core);
  };
}
