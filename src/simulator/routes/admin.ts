import type { FastifyInstance } from 'fastify';
import { bearerCheck } from '../../bearer-check.js';
import { z } from 'zod';
import type { SimulatorAdmin } from '../admin.js';
import { defaultConfig, type ConfigPatch } from '../config.js';
import { ApiError, parseBody } from '../errors.js';
import { DeviceOutcomeSchema, DeviceStateSchema, SeedDeviceSchema } from '../seed-schema.js';

const FaultSchema = z.strictObject({
  kind: z.enum(['5xx', '429', 'ambiguous-500', 'ambiguous-drop']),
  route: z.enum(['token', 'login', 'logout', 'list', 'activate', 'history', 'status', 'callbacks']).optional(),
  count: z.number().int().positive().default(1),
  status: z.number().int().min(500).max(599).optional(),
  minDevices: z.number().int().positive().optional(),
});

/** A config patch may only name known settings, each with the type of its default: typos must not pass silently. */
function checkPatch(patch: unknown, defaults: object = defaultConfig, at = ''): ConfigPatch {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new ApiError(400, { error: `${at || 'body'} must be an object` });
  }
  for (const [key, value] of Object.entries(patch)) {
    const path = at ? `${at}.${key}` : key;
    if (!(key in defaults) || path === 'adminToken') throw new ApiError(400, { error: `unknown setting ${path}` });
    const def = (defaults as Record<string, unknown>)[key];
    if (def !== null && typeof def === 'object') checkPatch(value, def, path);
    else if (def !== null && value !== null && typeof value !== typeof def) {
      throw new ApiError(400, { error: `${path} must be a ${typeof def}` });
    }
  }
  return patch as ConfigPatch;
}

type DeviceParams = { Params: { kind: string; id: string } };

/** The admin API: the same operations as the in-process handle, behind the admin bearer token. */
export function adminRoutes(app: FastifyInstance, admin: SimulatorAdmin, adminToken: string | null): void {
  const authorized = adminToken === null ? undefined : bearerCheck(adminToken);
  app.addHook('onRequest', async (request) => {
    if (!authorized) throw new ApiError(404, { error: 'the admin API is disabled (no admin token configured)' });
    if (!authorized(request.headers.authorization)) {
      throw new ApiError(401, { error: 'admin bearer token required' });
    }
  });

  const truthOr404 = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new ApiError(404, { error: `${what} not found` });
    return value;
  };
  const publicConfig = () => ({ ...admin.getConfig(), adminToken: undefined });

  app.get('/config', async () => publicConfig());
  app.patch('/config', async (request) => {
    admin.setConfig(checkPatch(request.body));
    return publicConfig();
  });

  app.get('/faults', async () => ({ scheduled: admin.scheduledFaults() }));
  app.get('/list-calls', async () => ({ listCalls: admin.listCalls(), byAccount: admin.listCallsByAccount() }));
  app.post('/list-calls/watch', async (request, reply) => {
    const { holdAfter } = parseBody(
      z.strictObject({ holdAfter: z.number().int().nonnegative().optional() }),
      request.body ?? {},
    );
    admin.watchListCalls(holdAfter === undefined ? {} : { holdAfter });
    return reply.code(204).send();
  });
  app.get('/list-calls/watch', async () => admin.listWatch());
  app.post('/list-calls/release', async (_request, reply) => {
    admin.releaseListCalls();
    return reply.code(204).send();
  });
  app.delete('/list-calls/watch', async (_request, reply) => {
    admin.stopListWatch();
    return reply.code(204).send();
  });
  app.post('/faults', async (request, reply) => {
    admin.scheduleFault(parseBody(FaultSchema, request.body));
    return reply.code(204).send();
  });
  app.delete('/faults', async (_request, reply) => {
    admin.clearFaults();
    return reply.code(204).send();
  });

  app.post('/devices', async (request) => {
    const { devices } = parseBody(z.strictObject({ devices: z.array(SeedDeviceSchema) }), request.body);
    try {
      return { devices: admin.addDevices(devices) };
    } catch (err) {
      throw new ApiError(409, { error: (err as Error).message });
    }
  });
  app.get<{ Querystring: Record<string, string | undefined> }>('/devices', async (request) => {
    const q = request.query;
    return {
      devices: admin.devices({
        accountName: q.accountName,
        state: q.state,
        inAccount: q.inAccount === undefined ? undefined : q.inAccount === 'true',
        limit: q.limit === undefined ? undefined : Number(q.limit),
      }),
    };
  });
  app.get<DeviceParams>('/devices/:kind/:id', async (request) =>
    truthOr404(admin.deviceTruth(request.params), 'device'),
  );
  app.put<DeviceParams>('/devices/:kind/:id/outcome', async (request) => {
    truthOr404(admin.deviceTruth(request.params), 'device');
    return admin.setOutcome(request.params, parseBody(DeviceOutcomeSchema.nullable(), request.body ?? null));
  });
  app.put<DeviceParams>('/devices/:kind/:id/state', async (request) => {
    truthOr404(admin.deviceTruth(request.params), 'device');
    return admin.setState(request.params, parseBody(z.object({ state: DeviceStateSchema }), request.body).state);
  });

  app.get('/submissions', async () => admin.submissions());
  app.get<{ Querystring: Record<string, string | undefined> }>('/record', async (request) =>
    admin.record({
      accountName: request.query.accountName,
      submittedOnly: request.query.submittedOnly === 'true',
    }),
  );

  app.get('/clock', async () => admin.clock());
  app.post('/clock/advance', async (request) => {
    const { ms } = parseBody(
      z.strictObject({
        ms: z
          .number()
          .min(0)
          .max(30 * 24 * 3600_000),
      }),
      request.body,
    );
    if (!admin.clock().manual) throw new ApiError(409, { error: 'the simulator runs on real timers' });
    return admin.advanceClock(ms);
  });
  app.get<{ Params: { requestId: string } }>('/requests/:requestId', async (request) =>
    truthOr404(admin.request(request.params.requestId), 'request'),
  );

  app.get<{ Params: { username: string } }>('/lockout/:username', async (request) =>
    admin.lockout(request.params.username),
  );
  app.post('/lockout/reset', async (request, reply) => {
    const { username } = parseBody(z.object({ username: z.string().optional() }), request.body ?? {});
    admin.resetLockout(username);
    return reply.code(204).send();
  });
  app.post('/tokens/expire', async (request, reply) => {
    const { what } = parseBody(
      z.object({ what: z.enum(['oauth', 'sessions', 'all']).default('all') }),
      request.body ?? {},
    );
    admin.expireTokens(what);
    return reply.code(204).send();
  });
  app.post('/rate-limit/reset', async (_request, reply) => {
    admin.resetRateLimit();
    return reply.code(204).send();
  });

  app.get('/callbacks', async () => admin.callbackStats());
  app.post('/callbacks/pause', async () => {
    admin.pauseCallbacks();
    return admin.callbackStats();
  });
  app.post('/callbacks/resume', async () => {
    admin.resumeCallbacks();
    return admin.callbackStats();
  });
  // Lets an out-of-process test wait for the simulator to finish its asynchronous work.
  app.post<{ Querystring: { timeoutMs?: string } }>('/settled', async (request) => {
    const timeoutMs = Number(request.query.timeoutMs ?? 30_000);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const settled = await Promise.race([admin.settled().then(() => true), timedOut]);
    clearTimeout(timer);
    return { settled, ...admin.callbackStats() };
  });
}
