import { afterEach, describe, expect, it } from '@jest/globals';
import { ErrorCodes, ManualScheduler } from '../../src/simulator/index.js';
import type { ConfigPatch } from '../../src/simulator/index.js';
import { activateBody, device, openSession, pair, seedOf, type ApiSession } from './helpers.js';

type Err = { errorCode: string; errorMessage: string };
const ACTIVATE = '/m2m/v1/devices/actions/activate';
const devices = Array.from({ length: 12 }, (_, i) => device(i));
const ids = (i: number) => pair(devices[i]!.deviceIds);

describe('simulator activate', () => {
  let api: ApiSession | undefined;
  const open = async (config: ConfigPatch = {}, seedDevices = devices, scheduler?: ManualScheduler) => {
    api = await openSession({ seed: seedOf(seedDevices), config, scheduler });
    return api;
  };
  afterEach(async () => {
    await api?.sim.close();
    api = undefined;
  });

  it('refuses invalid requests with ThingSpace errorCodes and counts no submission', async () => {
    const { post, sim } = await open({ maxDevicesPerActivate: 3 });
    const cases: [unknown, string, RegExp][] = [
      [
        { ...activateBody([ids(0)]), servicePlan: undefined },
        'UnifiedWebService.INPUT_INVALID.ServicePlan.Invalid',
        /servicePlan/,
      ],
      [
        activateBody([ids(0)], { mdnZipCode: '9880' }),
        'UnifiedWebService.INPUT_INVALID.MdnZipCode.Invalid',
        /mdnZipCode/,
      ],
      [activateBody([]), 'UnifiedWebService.INPUT_INVALID.Devices.Invalid', /devices/],
      [
        activateBody([[{ kind: 'serial', id: '1' }]]),
        'UnifiedWebService.INPUT_INVALID.Kind.Invalid',
        /devices\.0\.deviceIds\.0\.kind/,
      ],
      [
        { ...activateBody([ids(0)]), devices: [{ deviceIds: ids(0), ipAddress: '10.1.2.3' }] },
        'UnifiedWebService.INPUT_INVALID.CarrierIpPoolName.Invalid',
        /carrierIpPoolName/,
      ],
      [activateBody([ids(0), ids(1), ids(2), ids(3)]), ErrorCodes.tooManyDevices, /at most 3/],
      [activateBody([ids(0)], { accountName: '9999999999-00001' }), ErrorCodes.accountInvalid, /9999999999-00001/],
    ];
    for (const [body, errorCode, message] of cases) {
      const res = await post<Err>(ACTIVATE, body);
      expect({ status: res.statusCode, errorCode: res.body.errorCode }).toEqual({ status: 400, errorCode });
      expect(res.body.errorMessage).toMatch(message);
    }
    const malformed = await post<Err>(ACTIVATE, undefined, { 'content-type': 'application/json' });
    expect(malformed.statusCode).toBe(400);
    expect(sim.admin.submissions().totalSubmissions).toBe(0);
  });

  it('refuses more than 10,000 devices whatever the configuration', async () => {
    const { post } = await open({ maxDevicesPerActivate: 20_000 });
    const many = Array.from({ length: 10_001 }, (_, i) => [{ kind: 'imei', id: String(100000000000000 + i) }]);
    const res = await post<Err>(ACTIVATE, activateBody(many));
    expect(res.statusCode).toBe(400);
    expect(res.body.errorMessage).toMatch(/at most 10000/);
  });

  it('activates after the delay, records history and answers status for single-device requests only', async () => {
    const clock = new ManualScheduler();
    const { post, get } = await open({ activationDelayMs: 60_000 }, devices, clock);
    const single = await post<{ requestId: string }>(ACTIVATE, activateBody([ids(0)]));
    expect(single.statusCode).toBe(200);
    expect(single.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const statusPath = `/m2m/v1/accounts/${devices[0]!.accountName}/requests/${single.body.requestId}/status`;
    expect((await get(statusPath)).body).toEqual({ requestId: single.body.requestId, status: 'Pending' });

    const multi = await post<{ requestId: string }>(ACTIVATE, activateBody([ids(1), ids(2)]));
    await clock.advance(59_999);
    expect((await get(statusPath)).body).toEqual({ requestId: single.body.requestId, status: 'Pending' });
    await clock.advance(1);
    expect((await get(statusPath)).body).toEqual({ requestId: single.body.requestId, status: 'Success' });
    const multiStatus = await get<Err>(
      `/m2m/v1/accounts/${devices[0]!.accountName}/requests/${multi.body.requestId}/status`,
    );
    expect(multiStatus.statusCode).toBe(400);
    expect(multiStatus.body.errorCode).toBe(ErrorCodes.statusMultiDevice);
    const unknown = await get<Err>(`/m2m/v1/accounts/${devices[0]!.accountName}/requests/nope/status`);
    expect(unknown.body.errorCode).toBe(ErrorCodes.requestNotFound);

    const listed = await post<{ devices: { carrierInformations: { state: string }[] }[] }>(
      '/m2m/v1/devices/actions/list',
      { deviceId: ids(1)[0] },
    );
    expect(listed.body.devices[0]!.carrierInformations[0]!.state).toBe('active');

    const history = await post<{ hasMoreData: boolean; provisioningHistory: Record<string, unknown>[] }>(
      '/m2m/v1/devices/history/actions/list',
      { deviceId: ids(2)[1], earliest: '2020-01-01T00:00:00Z', latest: new Date(Date.now() + 60_000).toISOString() },
    );
    expect(history.statusCode).toBe(200);
    expect(history.body.provisioningHistory).toEqual([
      expect.objectContaining({
        eventType: 'Activate',
        status: 'Success',
        servicePlan: '4G-IoT-1GB',
        mdn: expect.stringMatching(/^\d{10}$/),
        msisdn: expect.stringMatching(/^1\d{10}$/),
      }),
    ]);
    const before = await post<{ provisioningHistory: unknown[] }>('/m2m/v1/devices/history/actions/list', {
      deviceId: ids(2)[1],
      earliest: '2020-01-01T00:00:00Z',
      latest: '2020-02-01T00:00:00Z',
    });
    expect(before.body.provisioningHistory).toEqual([]);
    const missing = await post<Err>('/m2m/v1/devices/history/actions/list', { deviceId: ids(2)[1] });
    expect(missing.statusCode).toBe(400);
  });

  it('wraps history in an array when configured', async () => {
    const { post, sim } = await open({ historyWrapInArray: true });
    await post(ACTIVATE, activateBody([ids(0)]));
    await sim.admin.settled();
    const history = await post<unknown[]>('/m2m/v1/devices/history/actions/list', {
      deviceId: ids(0)[0],
      earliest: '2020-01-01T00:00:00Z',
      latest: '2100-01-01T00:00:00Z',
    });
    expect(history.body).toEqual([
      { hasMoreData: false, provisioningHistory: [expect.objectContaining({ status: 'Success' })] },
    ]);
  });

  it('fails scripted, already active and unknown devices; unknown ones then appear as deactive', async () => {
    const seedDevices = [
      device(0),
      device(1, { outcome: { activation: 'failure', reason: 'Invalid service plan for device' } }),
      device(2, { state: 'active' }),
      device(3, { inAccount: false }),
    ];
    const { post, get, sim } = await open({}, seedDevices);
    const stranger = [
      { kind: 'imei', id: '359999999999999' },
      { kind: 'iccid', id: '89148000009999999999' },
    ];
    const res = await post<{ requestId: string }>(
      ACTIVATE,
      activateBody([...seedDevices.map((d) => pair(d.deviceIds)), stranger]),
    );
    await sim.admin.settled();
    expect(sim.admin.request(res.body.requestId)!.devices.map((d) => [d.result, d.reason])).toEqual([
      ['Success', null],
      ['Failed', 'Invalid service plan for device'],
      ['Failed', 'Device is already active'],
      ['Success', null],
      ['Failed', 'Device does not exist in MDM'],
    ]);
    const single = await post<{ requestId: string }>(ACTIVATE, activateBody([pair(seedDevices[1]!.deviceIds)]));
    await sim.admin.settled();
    const status = await get(
      `/m2m/v1/accounts/${seedDevices[0]!.accountName}/requests/${single.body.requestId}/status`,
    );
    expect(status.body).toEqual({ requestId: single.body.requestId, status: 'Failure' });

    const listed = await post<{ devices: { carrierInformations: { state: string }[] }[] }>(
      '/m2m/v1/devices/actions/list',
      { deviceId: stranger[0] },
    );
    expect(listed.body.devices.map((d) => d.carrierInformations[0]!.state)).toEqual(['deactive']);
    expect(sim.admin.deviceTruth(seedDevices[3]!.deviceIds[0]!)).toMatchObject({ inAccount: true, state: 'active' });
  });

  it('shows a configurable pending state while the activation is in progress, the old state by default', async () => {
    type ListBody = { devices: { carrierInformations: { state: string }[] }[] };
    const stateOf = async (i: number) =>
      (await api!.post<ListBody>('/m2m/v1/devices/actions/list', { deviceId: ids(i)[0] })).body.devices[0]!
        .carrierInformations[0]!.state;
    const clock = new ManualScheduler();
    const config = { activationDelayMs: 300, pendingStateName: 'pending activation' };
    const { post, sim } = await open(config, devices, clock);
    await post(ACTIVATE, activateBody([ids(0)]));
    expect(await stateOf(0)).toBe('pending activation');
    const pending = await post<ListBody>('/m2m/v1/devices/actions/list', { currentState: 'pending activation' });
    expect(pending.body.devices).toHaveLength(1);
    await clock.advance(300);
    expect(await stateOf(0)).toBe('active');

    sim.admin.setConfig({ pendingStateName: null });
    await post(ACTIVATE, activateBody([ids(1)]));
    expect(await stateOf(1)).toBe('pre-active');
    await clock.advance(300);
    expect(await stateOf(1)).toBe('active');
  });

  it('answers 429 with Retry-After past the per-account rate limit and counts only accepted requests', async () => {
    const { post, sim } = await open({ activateRateLimit: { max: 3, windowMs: 60_000 } });
    for (let i = 0; i < 3; i++) expect((await post(ACTIVATE, activateBody([ids(i)]))).statusCode).toBe(200);
    const limited = await post(ACTIVATE, activateBody([ids(3)]));
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(sim.admin.deviceTruth(ids(3)[0]!)!.submissions).toBe(0);
    expect(sim.admin.submissions().totalSubmissions).toBe(3);

    sim.admin.setConfig({ rateLimitResponse: '400' });
    const asError = await post<Err>(ACTIVATE, activateBody([ids(3)]));
    expect(asError.statusCode).toBe(400);
    expect(asError.body.errorCode).toBe(ErrorCodes.rateLimited);
  });

  it('ambiguous mode processes the request, then fails the response (500 or dropped connection)', async () => {
    const { post, sim } = await open();
    sim.admin.scheduleFault({ kind: 'ambiguous-500', route: 'activate', count: 1 });
    const failed = await post<Err>(ACTIVATE, activateBody([ids(0)]));
    expect(failed.statusCode).toBe(500);

    sim.admin.scheduleFault({ kind: 'ambiguous-drop', route: 'activate', count: 1 });
    await expect(post(ACTIVATE, activateBody([ids(1)]))).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNRESET|EPIPE|ERR_/),
    });

    const ok = await post(ACTIVATE, activateBody([ids(2)]));
    expect(ok.statusCode).toBe(200);
    await sim.admin.settled();
    for (const i of [0, 1, 2]) {
      expect(sim.admin.deviceTruth(ids(i)[0]!)).toMatchObject({ submissions: 1, activations: 1, state: 'active' });
    }

    // A blind resend after the ambiguous failure is what the counters exist to catch.
    await post(ACTIVATE, activateBody([ids(0)]));
    await sim.admin.settled();
    expect(sim.admin.submissions().resubmitted).toEqual([
      expect.objectContaining({ submissions: 2, activations: 1, deviceIds: devices[0]!.deviceIds }),
    ]);
  });

  it('a refusal fault (5xx) leaves the request unprocessed', async () => {
    const { post, sim } = await open();
    sim.admin.scheduleFault({ kind: '5xx', route: 'activate', count: 1, status: 502 });
    expect((await post(ACTIVATE, activateBody([ids(0)]))).statusCode).toBe(502);
    expect(sim.admin.submissions().totalSubmissions).toBe(0);
    expect((await post(ACTIVATE, activateBody([ids(0)]))).statusCode).toBe(200);
    expect(sim.admin.submissions().totalSubmissions).toBe(1);
  });
});
