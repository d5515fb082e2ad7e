import type { FastifyInstance } from 'fastify';
import { ActivateRequestSchema } from '../../thingspace/schemas/index.js';
import type { SimCore } from '../core.js';
import { ErrorCodes, m2mError, parseBody, tooManyRequests } from '../errors.js';
import { resolveAccount, requireSession } from './m2m-auth.js';

export function activateRoutes(app: FastifyInstance, core: SimCore): void {
  app.post('/m2m/v1/devices/actions/activate', { config: { route: 'activate' } }, async (request, reply) => {
    const session = requireSession(core, request);
    const body = parseBody(ActivateRequestSchema, request.body);
    const accountName = resolveAccount(session, body.accountName);
    const { config } = core.ctx;
    if (body.devices.length > config.maxDevicesPerActivate) {
      throw m2mError(
        ErrorCodes.tooManyDevices,
        `A request may name at most ${config.maxDevicesPerActivate} devices; this one names ${body.devices.length}.`,
      );
    }
    const { max, windowMs } = config.activateRateLimit;
    const retryAfter = core.activateLimiter.tryAcquire(accountName, max, windowMs, core.ctx.now());
    if (retryAfter > 0) {
      if (config.rateLimitResponse === '429') throw tooManyRequests(retryAfter);
      // An ordinary-looking M2M error with no Retry-After: nothing tells the caller it was only throttled.
      throw m2mError(config.rateLimitErrorCode, `More than ${max} activate requests in ${windowMs / 1000} s.`);
    }
    const accepted = core.activation.submit(accountName, session.username, body);
    const ambiguous = core.faults.ambiguous('activate', body.devices.length);
    // Real time on purpose: the answer is held while (virtual or real) activations and callbacks go ahead.
    const hold = core.ctx.config.activateResponseDelayMs;
    if (hold > 0) await new Promise((resolve) => setTimeout(resolve, hold));
    if (ambiguous === 'drop') {
      // The work is done; the caller only sees the connection die.
      reply.hijack();
      request.raw.socket.destroy();
      return reply;
    }
    if (ambiguous === 'http500') {
      throw m2mError(ErrorCodes.internal, 'An unexpected error occurred.', 500);
    }
    return { requestId: accepted.requestId };
  });

  app.get<{ Params: { accountName: string; requestId: string } }>(
    '/m2m/v1/accounts/:accountName/requests/:requestId/status',
    { config: { route: 'status' } },
    async (request) => {
      const session = requireSession(core, request);
      const accountName = resolveAccount(session, request.params.accountName);
      const found = core.activation.get(request.params.requestId);
      if (!found || found.accountName !== accountName) {
        throw m2mError(ErrorCodes.requestNotFound, `Request ${request.params.requestId} was not found.`);
      }
      const [only, ...rest] = found.devices;
      if (!only || rest.length > 0) {
        throw m2mError(ErrorCodes.statusMultiDevice, 'Request status is available only for single-device requests.');
      }
      const status = only.result === 'Pending' ? 'Pending' : only.result === 'Success' ? 'Success' : 'Failure';
      return { requestId: found.requestId, status };
    },
  );
}
