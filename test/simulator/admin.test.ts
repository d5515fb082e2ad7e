import { afterEach, describe, expect, it } from '@jest/globals';
import { startSimulator, type DeviceTruth, type RunningSimulator } from '../../src/simulator/index.js';
import { activateBody, device, http, openSession, pair, seedOf, type ApiSession } from './helpers.js';

const LIST = '/m2m/v1/devices/actions/list';

describe('simulator admin API', () => {
  let api: ApiSession | undefined;
  let bare: RunningSimulator | undefined;
  afterEach(async () => {
    await api?.sim.close();
    await bare?.close();
    api = bare = undefined;
  });

  it('requires the admin bearer token, and is off without one', async () => {
    api = await openSession({ seed: seedOf([device(0)]) });
    const url = `${api.sim.origin}/admin/submissions`;
    expect((await http.get(url)).statusCode).toBe(401);
    expect((await http.get(url, { headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    expect((await http.get(url, { headers: { authorization: `Bearer ${api.bearer}` } })).statusCode).toBe(401);
    expect((await api.admin('GET', '/submissions')).statusCode).toBe(200);

    bare = await startSimulator({ seed: seedOf([device(0)]) });
    expect((await http.get(`${bare.origin}/admin/submissions`)).statusCode).toBe(404);
  });

  it('injects 5xx, 429 and latency by configuration and clears them', async () => {
    api = await openSession({ seed: seedOf([device(0)]) });
    const patched = await api.admin<{ faults: { error5xxRate: number } }>('PATCH', '/config', {
      faults: { error5xxRate: 1, error5xxStatus: 502 },
    });
    expect(patched.body.faults).toMatchObject({ error5xxRate: 1, error429Rate: 0 });
    expect(patched.body).not.toHaveProperty('adminToken');
    expect((await api.post(LIST, {})).statusCode).toBe(502);

    await api.admin('PATCH', '/config', { faults: { error5xxRate: 0, error429Rate: 1, retryAfterSeconds: 7 } });
    const limited = await api.post(LIST, {});
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');

    expect((await api.admin('DELETE', '/faults')).statusCode).toBe(204);
    await api.admin('PATCH', '/config', { faults: { latencyMs: 250 } });
    const started = Date.now();
    expect((await api.post(LIST, {})).statusCode).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);

    const typo = await api.admin('PATCH', '/config', { faults: { error5xxRat: 1 } });
    expect(typo.statusCode).toBe(400);
    const wrongType = await api.admin('PATCH', '/config', { listPageSize: '10' });
    expect(wrongType.statusCode).toBe(400);
  });

  it('schedules one-shot faults on a route', async () => {
    api = await openSession({ seed: seedOf([device(0)]) });
    expect((await api.admin('POST', '/faults', { kind: '5xx', route: 'list', count: 2 })).statusCode).toBe(204);
    expect((await api.admin<{ scheduled: unknown[] }>('GET', '/faults')).body.scheduled).toHaveLength(1);
    expect((await api.post('/m2m/v1/devices/history/actions/list', {})).statusCode).toBe(400);
    expect((await api.post(LIST, {})).statusCode).toBe(503);
    expect((await api.post(LIST, {})).statusCode).toBe(503);
    expect((await api.post(LIST, {})).statusCode).toBe(200);
    expect((await api.admin('POST', '/faults', { kind: 'bogus' })).statusCode).toBe(400);
  });

  it('adds devices, scripts outcomes and reports per-device truth and submission counters', async () => {
    api = await openSession({ seed: seedOf([]) });
    const added = await api.admin<{ devices: DeviceTruth[] }>('POST', '/devices', {
      devices: [device(0), device(1, { type: 'NB-IoT' })],
    });
    expect(added.statusCode).toBe(200);
    expect(added.body.devices.map((d) => d.type)).toEqual(['4G', 'NB-IoT']);
    expect((await api.admin('POST', '/devices', { devices: [device(0)] })).statusCode).toBe(409);

    const imei = device(1).deviceIds[0]!;
    const scripted = await api.admin<DeviceTruth>('PUT', `/devices/imei/${imei.id}/outcome`, {
      activation: 'failure',
      reason: 'Scripted failure',
    });
    expect(scripted.body.outcome).toEqual({ activation: 'failure', reason: 'Scripted failure' });
    expect((await api.admin('PUT', '/devices/imei/123/outcome', {})).statusCode).toBe(404);

    const res = await api.post<{ requestId: string }>(
      '/m2m/v1/devices/actions/activate',
      activateBody([pair(device(0).deviceIds), pair(device(1).deviceIds)]),
    );
    const settled = await api.admin<{ settled: boolean; pendingActivations: number }>(
      'POST',
      '/settled?timeoutMs=5000',
    );
    expect(settled.body).toMatchObject({ settled: true, pendingActivations: 0 });

    const truth = await api.admin<DeviceTruth>('GET', `/devices/imei/${imei.id}`);
    expect(truth.body).toMatchObject({ state: 'pre-active', submissions: 1, activations: 0 });
    const request = await api.admin<{ devices: { result: string; reason: string | null }[] }>(
      'GET',
      `/requests/${res.body.requestId}`,
    );
    expect(request.body.devices.map((d) => d.result)).toEqual(['Success', 'Failed']);
    expect(request.body.devices[1]!.reason).toBe('Scripted failure');

    const submissions = await api.admin<{ totalSubmissions: number; resubmitted: unknown[] }>('GET', '/submissions');
    expect(submissions.body).toMatchObject({ totalSubmissions: 2, resubmitted: [] });

    const active = await api.admin<{ devices: DeviceTruth[] }>('GET', '/devices?state=active');
    expect(active.body.devices.map((d) => d.deviceIds[0]!.id)).toEqual([device(0).deviceIds[0]!.id]);
    const staged = await api.admin<DeviceTruth>('PUT', `/devices/imei/${imei.id}/state`, { state: 'suspend' });
    expect(staged.body.state).toBe('suspend');
  });

  it('expires tokens and resets the rate limit over HTTP', async () => {
    api = await openSession({ seed: seedOf([device(0)]), config: { activateRateLimit: { max: 1 } } });
    const body = activateBody([pair(device(0).deviceIds)]);
    expect((await api.post('/m2m/v1/devices/actions/activate', body)).statusCode).toBe(200);
    expect((await api.post('/m2m/v1/devices/actions/activate', body)).statusCode).toBe(429);
    expect((await api.admin('POST', '/rate-limit/reset')).statusCode).toBe(204);
    expect((await api.post('/m2m/v1/devices/actions/activate', body)).statusCode).toBe(200);
    expect((await api.admin('POST', '/tokens/expire', { what: 'oauth' })).statusCode).toBe(204);
    expect((await api.post(LIST, {})).statusCode).toBe(401);
  });
});
