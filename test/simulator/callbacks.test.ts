import { afterEach, describe, expect, it } from '@jest/globals';
import { safeParseCallback } from '../../src/thingspace/schemas/index.js';
import { ErrorCodes, ManualScheduler, type ConfigPatch, type SeedDevice } from '../../src/simulator/index.js';
import {
  activateBody,
  DEFAULT_ACCOUNT,
  device,
  imeiOf,
  openSession,
  pair,
  seedOf,
  sentImei,
  startListener,
  type ApiSession,
  type Listener,
} from './helpers.js';

const ACTIVATE = '/m2m/v1/devices/actions/activate';

describe('simulator callbacks', () => {
  let api: ApiSession | undefined;
  let listener: Listener | undefined;
  afterEach(async () => {
    await api?.sim.close();
    await listener?.close();
    api = listener = undefined;
  });

  async function setup(
    devices: SeedDevice[],
    answer?: (body: Record<string, unknown>, n: number) => number,
    config: ConfigPatch = {},
    scheduler?: ManualScheduler,
  ) {
    listener = await startListener(answer);
    api = await openSession({ seed: seedOf(devices), config, scheduler });
    for (const name of ['CarrierService', 'NiddService']) {
      const res = await api.post(`/m2m/v1/callbacks/${DEFAULT_ACCOUNT}`, {
        name,
        url: `${listener.url}/${name}`,
        username: 'cb-user',
        password: 'cb-pass',
      });
      expect(res.body).toEqual({ accountName: DEFAULT_ACCOUNT, serviceName: name });
    }
    return { api, listener };
  }

  it('registers, lists without credentials and deletes listeners', async () => {
    const { api } = await setup([device(0)]);
    const listed = await api.get(`/m2m/v1/callbacks/${DEFAULT_ACCOUNT}`);
    expect(listed.body).toEqual([
      { accountName: DEFAULT_ACCOUNT, name: 'CarrierService', url: expect.stringMatching(/\/CarrierService$/) },
      { accountName: DEFAULT_ACCOUNT, name: 'NiddService', url: expect.stringMatching(/\/NiddService$/) },
    ]);
    const removed = await api.del(`/m2m/v1/callbacks/${DEFAULT_ACCOUNT}/name/NiddService`);
    expect(removed.body).toEqual({ accountName: DEFAULT_ACCOUNT, serviceName: 'NiddService' });
    expect(((await api.get(`/m2m/v1/callbacks/${DEFAULT_ACCOUNT}`)).body as unknown[]).length).toBe(1);
    const again = await api.del(`/m2m/v1/callbacks/${DEFAULT_ACCOUNT}/name/NiddService`);
    expect(again.statusCode).toBe(400);
    expect(again.body).toMatchObject({ errorCode: ErrorCodes.callbackNotFound });
    const bad = await api.post(`/m2m/v1/callbacks/${DEFAULT_ACCOUNT}`, { name: 'CarrierService', url: 'not a url' });
    expect(bad.statusCode).toBe(400);
  });

  it('sends one CarrierService callback per device and one NiddService callback per NB-IoT device', async () => {
    const devices = [
      device(0),
      device(1, { outcome: { activation: 'failure', reason: 'Device not eligible for plan' } }),
      device(2, { type: 'NB-IoT' }),
      device(3, { type: 'NB-IoT', outcome: { nidd: 'failure', niddReason: 'Not CatM or NBIoT Device' } }),
      device(4, { type: 'NB-IoT', outcome: { activation: 'failure' } }),
    ];
    const { api, listener } = await setup(devices);
    const res = await api.post<{ requestId: string }>(ACTIVATE, activateBody(devices.map((d) => pair(d.deviceIds))));
    await api.sim.admin.settled();

    const carrier = listener.received.filter((r) => r.path === '/CarrierService').map((r) => r.body);
    const nidd = listener.received.filter((r) => r.path === '/NiddService').map((r) => r.body);
    expect(carrier).toHaveLength(5);
    expect(nidd).toHaveLength(3);
    for (const body of [...carrier, ...nidd]) {
      const parsed = safeParseCallback(body);
      expect(parsed.success).toBe(true);
      expect(body).toMatchObject({
        username: 'cb-user',
        password: 'cb-pass',
        requestId: res.body.requestId,
        callbackCount: 1,
        maxCallbackThreshold: 4,
      });
    }
    const byImei = new Map(carrier.map((b) => [sentImei(b), b]));
    expect(byImei.get(imeiOf(devices[0]!))).toMatchObject({
      deviceIds: [
        { kind: 'IMEI', id: imeiOf(devices[0]!) },
        { kind: 'ICCID', id: devices[0]!.deviceIds[1]!.id },
      ],
      deviceResponse: {
        activateResponse: {
          deviceIds: [
            { kind: 'mdn', id: expect.stringMatching(/^\d{10}$/) },
            { kind: 'imsi', id: expect.stringMatching(/^\d{15}$/) },
            { kind: 'iccId', id: devices[0]!.deviceIds[1]!.id },
            { kind: 'msisdn', id: expect.stringMatching(/^1\d{10}$/) },
            { kind: 'min', id: expect.stringMatching(/^\d{10}$/) },
          ],
          ipAddress: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
          state: 'Active',
          servicePlan: '4G-IoT-1GB',
          featureCodes: [],
          deviceCredential: { username: expect.stringMatching(/@vzw3g\.com$/), password: expect.any(String) },
        },
      },
      status: 'Success',
    });
    expect(byImei.get(imeiOf(devices[1]!))).toMatchObject({ status: 'Failed', reason: 'Device not eligible for plan' });
    expect(byImei.get(imeiOf(devices[4]!))).toMatchObject({ status: 'Failed' });

    const niddByImei = new Map(nidd.map((b) => [sentImei(b), b]));
    expect(niddByImei.get(imeiOf(devices[2]!))).toMatchObject({
      status: 'ConfigCreated',
      niddResponse: { niddConfigResponse: { accountName: DEFAULT_ACCOUNT } },
    });
    expect(niddByImei.get(imeiOf(devices[2]!))!.niddResponse).not.toHaveProperty('niddConfigResponse.reason');
    expect(niddByImei.get(imeiOf(devices[3]!))).toMatchObject({
      status: 'ConfigFailed',
      niddResponse: { niddConfigResponse: { reason: 'Not CatM or NBIoT Device' } },
    });
    expect(niddByImei.get(imeiOf(devices[4]!))).toMatchObject({ status: 'ConfigFailed' });
    expect(niddByImei.has(imeiOf(devices[0]!))).toBe(false);
  });

  it('retries a callback the listener answers 500, counting callbackCount up', async () => {
    const failuresPerDevice = new Map<string, number>();
    const answer = (body: Record<string, unknown>) => {
      const key = sentImei(body);
      const n = (failuresPerDevice.get(key) ?? 0) + 1;
      failuresPerDevice.set(key, n);
      return n <= 2 ? 500 : 204;
    };
    const devices = [device(0), device(1)];
    const { api, listener } = await setup(devices, answer);
    await api.post(ACTIVATE, activateBody(devices.map((d) => pair(d.deviceIds))));
    await api.sim.admin.settled();
    for (const d of devices) {
      const counts = listener.received.filter((r) => sentImei(r.body) === imeiOf(d)).map((r) => r.body.callbackCount);
      expect(counts).toEqual([1, 2, 3]);
      expect(api.sim.admin.deviceTruth(d.deviceIds[0]!)!.callbacks.CarrierService).toMatchObject({
        sends: 3,
        acknowledged: true,
        exhausted: false,
        lastResult: '204',
      });
    }
  });

  it('gives up after maxCallbackThreshold sends, also on connection errors', async () => {
    const { api, listener } = await setup([device(0)], () => 503, { maxCallbackThreshold: 3 });
    await api.post(ACTIVATE, activateBody([pair(device(0).deviceIds)]));
    await api.sim.admin.settled();
    expect(listener.received.map((r) => r.body.callbackCount)).toEqual([1, 2, 3]);
    expect(listener.received.every((r) => r.body.maxCallbackThreshold === 3)).toBe(true);
    expect(api.sim.admin.deviceTruth(device(0).deviceIds[0]!)!.callbacks.CarrierService).toMatchObject({
      sends: 3,
      acknowledged: false,
      exhausted: true,
    });

    await listener.close();
    await api.post(ACTIVATE, activateBody([pair(device(0).deviceIds)]));
    await api.sim.admin.settled();
    expect(api.sim.admin.deviceTruth(device(0).deviceIds[0]!)!.callbacks.CarrierService).toMatchObject({
      sends: 6,
      exhausted: true,
      lastResult: 'ECONNREFUSED',
    });
  });

  it('drops and duplicates callbacks as scripted', async () => {
    const devices = [
      device(0, { outcome: { dropCallback: true } }),
      device(1, { outcome: { duplicateCallback: true } }),
      device(2),
    ];
    const { api, listener } = await setup(devices);
    await api.post(ACTIVATE, activateBody(devices.map((d) => pair(d.deviceIds))));
    await api.sim.admin.settled();
    const received = listener.received.map((r) => sentImei(r.body)).sort();
    expect(received).toEqual([imeiOf(devices[1]!), imeiOf(devices[1]!), imeiOf(devices[2]!)].sort());
    expect(api.sim.admin.deviceTruth(devices[0]!.deviceIds[0]!)).toMatchObject({
      state: 'active',
      callbacks: { CarrierService: { dropped: true, sends: 0 } },
    });
    expect(api.sim.admin.deviceTruth(devices[1]!.deviceIds[0]!)!.callbacks.CarrierService).toMatchObject({
      copies: 2,
      sends: 2,
    });
  });

  it('holds callbacks while paused and delivers them on resume', async () => {
    const clock = new ManualScheduler();
    const { api, listener } = await setup([device(0), device(1)], undefined, {}, clock);
    const paused = await api.admin<{ paused: boolean }>('POST', '/callbacks/pause');
    expect(paused.body.paused).toBe(true);
    await api.post(ACTIVATE, activateBody([pair(device(0).deviceIds), pair(device(1).deviceIds)]));
    // Past the activation and the callback delay: the callbacks are due, and held.
    await clock.advance(1_000);
    expect(listener.received).toHaveLength(0);
    expect(api.sim.admin.callbackStats()).toMatchObject({ queued: 2, paused: true });
    await api.admin('POST', '/callbacks/resume');
    await api.sim.admin.settled();
    expect(listener.received).toHaveLength(2);
  });

  it('applies the random outcome mix from configuration', async () => {
    const devices = Array.from({ length: 200 }, (_, i) => device(i));
    const { api, listener } = await setup(devices, undefined, { outcomes: { failureRate: 0.5, reorder: true } });
    await api.post(ACTIVATE, activateBody(devices.map((d) => pair(d.deviceIds))));
    await api.sim.admin.settled();
    const failed = listener.received.filter((r) => r.body.status === 'Failed').length;
    expect(listener.received).toHaveLength(200);
    expect(failed).toBeGreaterThan(60);
    expect(failed).toBeLessThan(140);
    const order = listener.received.map((r) => sentImei(r.body));
    expect(order).not.toEqual(devices.map(imeiOf));
  });
});
