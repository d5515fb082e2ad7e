import type { FastifyInstance } from 'fastify';
import { DevicesListRequestSchema, HistoryRequestSchema } from '../../thingspace/schemas/index.js';
import type { SimCore } from '../core.js';
import { renderDevice } from '../devices.js';
import { parseBody } from '../errors.js';
import { resolveAccount, requireSession } from './m2m-auth.js';

export function deviceRoutes(app: FastifyInstance, core: SimCore): void {
  // 202 while more pages follow is ThingSpace's quirk, not a mistake.
  app.post('/m2m/v1/devices/actions/list', { config: { route: 'list' } }, async (request, reply) => {
    const session = requireSession(core, request);
    const filter = parseBody(DevicesListRequestSchema, request.body ?? {});
    if (filter.accountName !== undefined) resolveAccount(session, filter.accountName);
    await core.listWatch.admit();
    const { listPageSize, pendingStateName } = core.ctx.config;
    const page = core.devices.list(filter, session.accountNames, listPageSize, pendingStateName);
    core.listWatch.served(core.devices.listCalls, filter);
    reply.code(page.hasMoreData ? 202 : 200);
    return { hasMoreData: page.hasMoreData, devices: page.devices.map((d) => renderDevice(d, pendingStateName)) };
  });

  app.post('/m2m/v1/devices/history/actions/list', { config: { route: 'history' } }, async (request) => {
    const session = requireSession(core, request);
    const query = parseBody(HistoryRequestSchema, request.body);
    const device = core.devices.peek(query.deviceId);
    const earliest = Date.parse(query.earliest);
    const latest = Date.parse(query.latest);
    const entries =
      device && device.inAccount && session.accountNames.includes(device.accountName)
        ? device.history.filter((h) => {
            const at = Date.parse(h.occurredAt);
            return (Number.isNaN(earliest) || at >= earliest) && (Number.isNaN(latest) || at <= latest);
          })
        : [];
    const page = { hasMoreData: false, provisioningHistory: entries };
    return core.ctx.config.historyWrapInArray ? [page] : page;
  });
}
