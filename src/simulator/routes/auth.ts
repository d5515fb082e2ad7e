import type { FastifyInstance } from 'fastify';
import { SessionLoginRequestSchema } from '../../thingspace/schemas/index.js';
import type { SimCore } from '../core.js';
import { parseBody } from '../errors.js';

export function authRoutes(app: FastifyInstance, core: SimCore): void {
  app.post('/ts/v1/oauth2/token', { config: { route: 'token' } }, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    return core.auth.issueToken(request.headers.authorization, body.grant_type);
  });

  app.post('/m2m/v1/session/login', { config: { route: 'login' } }, async (request) => {
    core.auth.checkBearer(request.headers.authorization);
    const { username, password } = parseBody(SessionLoginRequestSchema, request.body);
    return core.auth.login(username, password);
  });

  app.post('/m2m/v1/session/logout', { config: { route: 'logout' } }, async (request) => {
    core.auth.checkBearer(request.headers.authorization);
    const token = request.headers['vz-m2m-token'];
    return core.auth.logout(Array.isArray(token) ? token[0] : token);
  });
}
