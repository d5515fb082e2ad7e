import type { FastifyInstance } from 'fastify';
import { CallbackRegistrationRequestSchema } from '../../thingspace/schemas/index.js';
import type { SimCore } from '../core.js';
import { ErrorCodes, m2mError, parseBody } from '../errors.js';
import { resolveAccount, requireSession } from './m2m-auth.js';

type AccountParams = { Params: { accountName: string } };

export function callbackRoutes(app: FastifyInstance, core: SimCore): void {
  const config = { route: 'callbacks' } as const;

  app.post<AccountParams>('/m2m/v1/callbacks/:accountName', { config }, async (request) => {
    const accountName = resolveAccount(requireSession(core, request), request.params.accountName);
    const registration = core.registrations.register(
      accountName,
      parseBody(CallbackRegistrationRequestSchema, request.body),
    );
    return { accountName, serviceName: registration.name };
  });

  // Credentials are write-only: the list shows where callbacks go, never what they carry.
  app.get<AccountParams>('/m2m/v1/callbacks/:accountName', { config }, async (request) => {
    const accountName = resolveAccount(requireSession(core, request), request.params.accountName);
    return core.registrations.list(accountName).map((r) => ({ accountName, name: r.name, url: r.url }));
  });

  app.delete<{ Params: { accountName: string; serviceName: string } }>(
    '/m2m/v1/callbacks/:accountName/name/:serviceName',
    { config },
    async (request) => {
      const accountName = resolveAccount(requireSession(core, request), request.params.accountName);
      const { serviceName } = request.params;
      if (!core.registrations.remove(accountName, serviceName)) {
        throw m2mError(ErrorCodes.callbackNotFound, `No ${serviceName} listener is registered.`);
      }
      return { accountName, serviceName };
    },
  );
}
